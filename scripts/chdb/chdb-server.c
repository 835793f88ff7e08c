/*
 * chdb-server: runs ClickHouse 26.x from chDB's libchdb.so as a local
 * server for development and tests (scripts/clickhouse.sh builds it with cc
 * and supervises it).
 *
 * libchdb.so is clickhouse-local as a library. Its exported
 * chdb_query_cmdline(argc, argv) takes ordinary clickhouse-local arguments;
 * given a --query that starts with SYSTEM START LISTEN TCP / HTTP and then
 * runs a query that never ends, clickhouse-local serves the native protocol
 * and HTTP for as long as that query runs. This program only loads the
 * library and hands it its own arguments (argv[0] included, as
 * clickhouse-local expects), so the server runs in a process of its own with
 * ClickHouse's own signal handlers: no Go runtime shares the process.
 *
 * Usage: CHDB_LIB=/path/to/libchdb.so chdb-server --config-file=… --path=… --query "…"
 * Exit status: 0 when the query ended, 1 when the library could not be
 * loaded, 2 when ClickHouse returned an error (printed on stderr).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void *(*query_cmdline_fn)(int, char **);
typedef const char *(*result_error_fn)(void *);

int main(int argc, char **argv) {
	const char *lib = getenv("CHDB_LIB");
	if (lib == NULL || *lib == '\0') {
		fprintf(stderr, "chdb-server: CHDB_LIB (the path of libchdb.so) is not set\n");
		return 1;
	}
	void *h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
	if (h == NULL) {
		fprintf(stderr, "chdb-server: load %s: %s\n", lib, dlerror());
		return 1;
	}
	query_cmdline_fn query = (query_cmdline_fn)dlsym(h, "chdb_query_cmdline");
	result_error_fn result_error = (result_error_fn)dlsym(h, "chdb_result_error");
	if (query == NULL || result_error == NULL) {
		fprintf(stderr, "chdb-server: %s lacks chdb_query_cmdline or chdb_result_error\n", lib);
		return 1;
	}
	void *res = query(argc, argv);
	const char *err = res ? result_error(res) : "no result";
	if (err != NULL && *err != '\0') {
		fprintf(stderr, "chdb-server: %s\n", err);
		return 2;
	}
	return 0;
}
