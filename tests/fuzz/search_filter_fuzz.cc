// MLflow's search grammar: filters and order_by clauses for runs,
// experiments and the registry, then the SQL built from a run filter.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plinth/tracking/search_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  using namespace plinth::tracking;
  for (const SearchSchema* schema : {&RunSearchSchema(), &ExperimentSearchSchema(),
                                     &RegisteredModelSearchSchema(), &ModelVersionSearchSchema()}) {
    (void)ParseSearchFilter(text, *schema);
    (void)ParseOrderBy(text, *schema);
  }
  return 0;
}
