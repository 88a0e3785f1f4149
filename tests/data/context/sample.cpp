// A small file for the symbol index tests.
#include <string>

#define LIMIT 10

namespace sample {

int helper(int value);

class Store {
 public:
  std::string load(const std::string& name);

 private:
  std::string root_;
};

int helper(int value) { return value * 2; }

std::string Store::load(const std::string& name) {
  return root_ + name + std::to_string(helper(LIMIT));
}

}  // namespace sample
