/* test_pyproject_edit.c - being written */
int main(void);
int
main(void)
{
	return 77;
}
