package mailqueue

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const producers = 16

var body4K = func() []byte {
	b := make([]byte, 4096)
	copy(b, "Subject: bench\r\n\r\n")
	for i := 18; i < len(b); i++ {
		b[i] = 'a' + byte(i%26)
		if i%78 == 0 {
			b[i-1], b[i] = '\r', '\n'
		}
	}
	return b
}()

// runProducers splits n operations among 16 goroutines.
func runProducers(b *testing.B, n int, op func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkDurableEnqueue measures durable stores of 4 KiB messages from
// 16 concurrent producers: the spool with group commit (what Enqueue
// does), the spool flushing once per message, and the textbook
// file-per-message spool (temp file, fsync, rename, directory fsync) in
// which each producer flushes on its own.
func BenchmarkDurableEnqueue(b *testing.B) {
	for _, mode := range []string{"group", "per-message", "file-per-message"} {
		b.Run("commit="+mode, func(b *testing.B) {
			dir := b.TempDir()
			var flushes atomic.Int64
			var put func(i int) error
			switch mode {
			case "file-per-message":
				put = filePerMessage(b, dir)
			default:
				s := openSpool(b, dir, SpoolConfig{NoGroupCommit: mode == "per-message", fault: func(op string) error {
					if op == "sync" {
						flushes.Add(1)
					}
					return nil
				}})
				put = func(i int) error {
					m := testMessage(ID(i+1), "bob@example.com")
					m.Body = body4K
					return s.Put(context.Background(), m)
				}
			}
			b.SetBytes(int64(len(body4K)))
			b.ResetTimer()
			runProducers(b, b.N, put)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			if n := flushes.Load(); n > 0 {
				b.ReportMetric(float64(b.N)/float64(n), "msgs/flush")
			}
		})
	}
}

func filePerMessage(b *testing.B, dir string) func(i int) error {
	q := filepath.Join(dir, "q")
	os.MkdirAll(q, 0o700)
	return func(i int) error {
		m := testMessage(ID(i+1), "bob@example.com")
		m.Body = body4K
		data := encodePutPayload(m)
		tmp := filepath.Join(dir, fmt.Sprintf("tmp.%d", i))
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		f.Close()
		if err := os.Rename(tmp, filepath.Join(q, fmt.Sprint(i))); err != nil {
			return err
		}
		d, err := os.Open(q)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Sync()
	}
}

// heapBytes returns the live heap after a collection.
func heapBytes() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// schedulerFootprint fills a scheduler (the item map and heap the Queue
// keeps) and, if withIndex, a Spool index of the same size, and returns
// bytes per message.
func schedulerFootprint(n int, withIndex bool) float64 {
	before := heapBytes()
	q := &Queue{items: make(map[ID]*item)}
	var idx map[ID]idxEntry
	if withIndex {
		idx = make(map[ID]idxEntry)
	}
	base := time.Now().UnixNano()
	for i := range n {
		id := newID()
		it := &item{id: id, due: base + int64(i%100000)*1e9, index: -1}
		q.items[id] = it
		q.heap.push(it)
		if withIndex {
			idx[id] = idxEntry{put: loc{1, uint32(i), 4200}, seq: 1}
		}
	}
	after := heapBytes()
	runtime.KeepAlive(q)
	runtime.KeepAlive(idx)
	return float64(after-before) / float64(n)
}

// TestSchedulerMemoryBudget holds the bound: at most 256 bytes of
// memory per queued message besides the spool files, counting the
// scheduler and the spool's index.
func TestSchedulerMemoryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~40 MB")
	}
	if got := schedulerFootprint(200000, true); got > 256 {
		t.Fatalf("%.0f bytes per queued message, budget 256", got)
	}
}

// BenchmarkSchedulerMemory reports bytes per message for 1,000,000 queued
// messages: the scheduler alone, and with the spool's index.
func BenchmarkSchedulerMemory(b *testing.B) {
	for _, withIndex := range []bool{false, true} {
		b.Run(fmt.Sprintf("index=%v", withIndex), func(b *testing.B) {
			var per float64
			for range b.N {
				per = schedulerFootprint(1000000, withIndex)
			}
			b.ReportMetric(per, "B/msg")
		})
	}
}

// BenchmarkSchedulerNextDue times taking the next due message and
// putting it back later (pop + push) with n messages queued: O(log n).
func BenchmarkSchedulerNextDue(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var h itemHeap
			for i := range n {
				h.push(&item{id: ID(i + 1), due: int64(i)})
			}
			due := int64(n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				it := h.pop()
				it.due = due
				due++
				h.push(it)
			}
		})
	}
}

func TestSchedulerAllocs(t *testing.T) {
	var h itemHeap
	for i := range 1000 {
		h.push(&item{id: ID(i + 1), due: int64(i)})
	}
	due := int64(1000)
	if a := testing.AllocsPerRun(1000, func() {
		it := h.pop()
		it.due = due
		due++
		h.push(it)
	}); a != 0 {
		t.Fatalf("%v allocs per pop+push, budget 0", a)
	}
	st := State{Rcpts: make([]RcptState, 3)}
	buf := make([]byte, 0, 256)
	if a := testing.AllocsPerRun(1000, func() { buf = appendState(buf[:0], &st) }); a != 0 {
		t.Fatalf("%v allocs per state encoding, budget 0", a)
	}
}

// BenchmarkRecover100k measures opening a spool of 100,000 messages of
// 4 KiB and scheduling them all (OpenSpool + New), with the files in the
// page cache.
func BenchmarkRecover100k(b *testing.B) {
	const n = 100000
	dir := b.TempDir()
	s := openSpool(b, dir, SpoolConfig{})
	runProducers(b, n, func(i int) error {
		m := testMessage(ID(i+1), "bob@example.com")
		m.Body = body4K
		return s.Put(context.Background(), m)
	})
	s.Close()
	b.ResetTimer()
	for range b.N {
		s, err := OpenSpool(dir, SpoolConfig{})
		if err != nil {
			b.Fatal(err)
		}
		q, err := New(s, Config{Deliverer: DelivererFunc(nil), Resolver: StaticResolver{}, Clock: &fakeClock{now: time.Unix(1e9, 0)}, Schedule: Fixed(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if q.Len() != n {
			b.Fatalf("recovered %d", q.Len())
		}
		q.mu.Lock()
		q.closing = true // stop before anything is attempted
		q.mu.Unlock()
		q.Shutdown(context.Background())
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/recovery")
}

// delayConn waits before each write, which costs one delay per round
// trip of the client (each flush is followed by waiting for a reply).
type delayConn struct {
	net.Conn
	delay time.Duration
}

func (c delayConn) Write(p []byte) (int, error) {
	time.Sleep(c.delay)
	return c.Conn.Write(p)
}

// deliverModes are the SMTPDeliverer set-ups the delivery benchmarks
// compare: reused connections with BDAT (the default when the server
// offers CHUNKING), reused with DATA (NoChunking; the behaviour before
// BDAT was used), and a new connection per message.
var deliverModes = []struct {
	name string
	make func() *SMTPDeliverer
}{
	{"reused", func() *SMTPDeliverer { return &SMTPDeliverer{} }},
	{"reused-data", func() *SMTPDeliverer { return &SMTPDeliverer{NoChunking: true} }},
	{"new", func() *SMTPDeliverer { return &SMTPDeliverer{MaxMessagesPerConn: 1} }},
}

// BenchmarkSMTPDeliver sends 4 KiB messages to a local smtp.Server from 4
// goroutines through the default deliverer, reusing connections (with BDAT
// or with DATA) or opening one per message; rtt=1ms adds a millisecond to
// each client flush, so round trips show.
func BenchmarkSMTPDeliver(b *testing.B) {
	for _, rtt := range []time.Duration{0, time.Millisecond} {
		for _, mode := range deliverModes {
			name := "conn=" + mode.name
			if rtt > 0 {
				name = "rtt=" + rtt.String() + "/" + name
			}
			b.Run(name, func(b *testing.B) {
				_, addr := startSink(b)
				d := mode.make()
				if rtt > 0 {
					d.Client.Dial = func(ctx context.Context, network, a string) (net.Conn, error) {
						var nd net.Dialer
						c, err := nd.DialContext(ctx, network, a)
						if err != nil {
							return nil, err
						}
						return delayConn{c, rtt}, nil
					}
				}
				defer d.Close()
				txn := &Transaction{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}, Body: body4K}
				t := Target{Domain: "example.com", Host: "sink.test", Addr: addr}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.SetBytes(int64(len(body4K)))
				b.ResetTimer()
				for range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(b.N) {
							r, err := d.Deliver(context.Background(), t, txn)
							if err != nil || !r[0].Success() {
								b.Error(r, err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkQueueDelivery measures the whole queue: b.N messages enqueued
// (durably) and delivered to a local smtp.Server, with connection reuse
// and with a new connection per message.
func BenchmarkQueueDelivery(b *testing.B) {
	for _, mode := range deliverModes {
		b.Run("conn="+mode.name, func(b *testing.B) {
			sk, addr := startSink(b)
			sk.cond = sync.NewCond(&sk.mu)
			d := mode.make()
			s := openSpool(b, b.TempDir(), SpoolConfig{})
			q, err := New(s, Config{
				Resolver:  StaticResolver{IP: map[string][]netip.Addr{"example.com": {netip.MustParseAddr("127.0.0.1")}}},
				Port:      addr.Port(),
				Deliverer: d,
				Hostname:  "bench.test",
			})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Shutdown(context.Background())
			env := Envelope{From: "alice@example.org", Recipients: []Recipient{{Addr: "bob@example.com"}}}
			b.SetBytes(int64(len(body4K)))
			b.ResetTimer()
			runProducers(b, b.N, func(int) error {
				_, err := q.Enqueue(context.Background(), env, body4K)
				return err
			})
			sk.mu.Lock()
			for len(sk.msgs) < b.N {
				sk.cond.Wait()
			}
			sk.mu.Unlock()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
