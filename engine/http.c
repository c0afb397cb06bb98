/* http.c - being written */
