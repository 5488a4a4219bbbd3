package mailqueue

// itemHeap is a binary min-heap of items by due time: peek is O(1), push,
// pop and remove are O(log n). Each item records its index so that hold,
// delete and flush can find it without a search.
type itemHeap struct{ a []*item }

func (h *itemHeap) len() int    { return len(h.a) }
func (h *itemHeap) peek() *item { return h.a[0] }

func (h *itemHeap) less(i, j int) bool {
	if h.a[i].due != h.a[j].due {
		return h.a[i].due < h.a[j].due
	}
	return h.a[i].id < h.a[j].id
}

func (h *itemHeap) swap(i, j int) {
	h.a[i], h.a[j] = h.a[j], h.a[i]
	h.a[i].index = int32(i)
	h.a[j].index = int32(j)
}

func (h *itemHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *itemHeap) down(i int) bool {
	start := i
	n := len(h.a)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

func (h *itemHeap) push(it *item) {
	it.index = int32(len(h.a))
	h.a = append(h.a, it)
	h.up(len(h.a) - 1)
}

func (h *itemHeap) pop() *item { return h.remove(0) }

// remove takes the item at index i out of the heap.
func (h *itemHeap) remove(i int) *item {
	n := len(h.a) - 1
	it := h.a[i]
	if i != n {
		h.swap(i, n)
	}
	h.a[n] = nil
	h.a = h.a[:n]
	if i != n && !h.down(i) {
		h.up(i)
	}
	it.index = -1
	return it
}

// fix restores order after the due time of the item at i changed.
func (h *itemHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}
