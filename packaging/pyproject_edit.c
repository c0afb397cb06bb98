/* pyproject_edit.c - being written */
#include "config.h"

#include "pyproject_edit.h"

int
pyproject_edit_add(const char *text, size_t len, const char *filename, PyprojectArray which,
		   const char *name, const char *requirement, Buf *out, Err *err)
{
	(void)text; (void)len; (void)filename; (void)which; (void)name; (void)requirement; (void)out;
	return err_set(err, "not written yet");
}

int
pyproject_edit_remove(const char *text, size_t len, const char *filename, PyprojectArray which,
		      const char *name, const char *normalized, Buf *out, size_t *removed, Err *err)
{
	(void)text; (void)len; (void)filename; (void)which; (void)name; (void)normalized; (void)out;
	*removed = 0;
	return err_set(err, "not written yet");
}
