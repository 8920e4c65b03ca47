package paper

// Squash exposes squash to the external tests, which compare its fast
// path with strings.Join(strings.Fields(s), " ").
var Squash = squash
