/* test_entrypoints.c - being written */
int main(void) { return 77; }
