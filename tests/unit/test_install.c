/* test_install.c - being written */
int main(void) { return 77; }
