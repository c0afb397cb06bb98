/* test_record.c - being written */
int main(void) { return 77; }
