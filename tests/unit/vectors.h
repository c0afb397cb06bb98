/*
 * vectors.h - the conformance vectors of tests/packaging/vectors/ for unit tests.
 *
 * The JSON files come from ../shared/testdata/packaging (pypa/packaging's own test
 * cases, see tests/packaging/vectors/README.md of the shared data). A test loads a file
 * once and walks its sections with cJSON.
 */
#ifndef BUNPY_TEST_VECTORS_H
#define BUNPY_TEST_VECTORS_H

#include <cjson/cJSON.h>

/* Parse $VECTORS_DIR/name; exits the test program with a message when it cannot. */
cJSON *vectors_load(const char *name);
/* A section by dotted path ("wheel_filename.valid"); exits when it is missing. */
const cJSON *vectors_section(const cJSON *root, const char *dotted);
/* The string of a JSON string item; exits when it is not one. */
const char *vectors_str(const cJSON *item);

#endif
