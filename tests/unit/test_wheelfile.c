/* test_wheelfile.c - being written */
int main(void) { return 77; }
