package sample

import "fmt"

// Limit is the largest value.
const Limit = 10

// Store keeps things.
type Store struct {
	root string
}

// Helper doubles a value.
func Helper(value int) int {
	return value * 2
}

// Load reads one thing.
func (s *Store) Load(name string) string {
	return fmt.Sprintf("%s/%s %d", s.root, name, Helper(Limit))
}
