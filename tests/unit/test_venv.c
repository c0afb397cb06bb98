/* test_venv.c - being written */
int main(void) { return 77; }
