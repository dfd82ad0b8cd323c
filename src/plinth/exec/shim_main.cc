// plinth-shim: the job supervisor as a program of its own. `plinth _shim`
// does the same, but the small program starts in a few milliseconds where
// the whole server binary takes ~70 (its size, its static initializers),
// and every job pays that start before its command runs.
#include <cstdio>
#include <cstring>

#include "plinth/exec/shim.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "_shim") == 0) {
    return plinth::exec::RunShim(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "usage: %s _shim --log-dir DIR ... -- COMMAND...\n", argv[0]);
  return 2;
}
