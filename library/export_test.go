package library

// CacheSizes returns the bytes the cache counts and the sum of its
// entries' sizes, which must be equal.
func CacheSizes(l *Library) (counted, sum int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for el := l.cache.ll.Front(); el != nil; el = el.Next() {
		sum += el.Value.(*Loaded).size
	}
	return l.cache.bytes, sum
}
