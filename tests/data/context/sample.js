// A small module for the symbol index tests.
const LIMIT = 10;

/**
 * Doubles a value.
 */
function helper(value) {
  return value * 2;
}

const arrow = (items) => helper(items.length);

class Store {
  constructor(root) {
    this.root = root;
  }

  load(name) {
    return helper(this.root + name);
  }
}

module.exports = { helper, arrow, Store, LIMIT };
