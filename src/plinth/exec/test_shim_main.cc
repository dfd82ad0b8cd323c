// A shim binary for the exec tests, standing in for `plinth _shim`.
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
