package postfixtest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ProcStat is the part of /proc/PID/stat (proc(5)) that CPU accounting
// needs. Times are in clock ticks (USER_HZ, 100 on Linux).
type ProcStat struct {
	PID, PPID      int
	UTime, STime   int64 // this process, all threads
	CUTime, CSTime int64 // children it has waited for
}

// clockTick is USER_HZ: the kernel reports /proc times in 1/100 s on
// every architecture Go supports on Linux.
const clockTick = 10 * time.Millisecond

// ReadProcStat reads /proc/pid/stat.
func ReadProcStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, fmt.Errorf("postfixtest: %w", err)
	}
	return parseProcStat(b)
}

// parseProcStat decodes a stat line. The command name (field 2) is in
// parentheses and may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func parseProcStat(b []byte) (ProcStat, error) {
	var st ProcStat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return st, fmt.Errorf("postfixtest: malformed /proc stat line")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return st, fmt.Errorf("postfixtest: malformed /proc stat pid: %w", err)
	}
	st.PID = pid
	// After ')': field 3 is state, 4 ppid, ..., 14 utime, 15 stime,
	// 16 cutime, 17 cstime (proc(5), counting from 1).
	f := bytes.Fields(b[end+1:])
	if len(f) < 15 {
		return st, fmt.Errorf("postfixtest: short /proc stat line")
	}
	num := func(i int) (int64, error) { return strconv.ParseInt(string(f[i]), 10, 64) }
	vals := make([]int64, 5)
	for i, idx := range []int{1, 11, 12, 13, 14} {
		if vals[i], err = num(idx); err != nil {
			return st, fmt.Errorf("postfixtest: malformed /proc stat field: %w", err)
		}
	}
	st.PPID = int(vals[0])
	st.UTime, st.STime, st.CUTime, st.CSTime = vals[1], vals[2], vals[3], vals[4]
	return st, nil
}

// TreeCPU returns the CPU time (user+system) used so far by process pid
// and every descendant, alive or already waited for. A process that has
// exited counts through its parent's cutime/cstime, so each tick is
// counted once; a process that exited but whose parent has not yet
// waited for it is missed until it is reaped.
func TreeCPU(pid int) (time.Duration, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("postfixtest: %w", err)
	}
	stats := make(map[int]ProcStat)
	children := make(map[int][]int)
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := ReadProcStat(p)
		if err != nil {
			continue
		}
		stats[p] = st
		children[st.PPID] = append(children[st.PPID], p)
	}
	if _, ok := stats[pid]; !ok {
		return 0, fmt.Errorf("postfixtest: no process %d", pid)
	}
	var ticks int64
	seen := make(map[int]bool)
	todo := []int{pid}
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[p] {
			continue
		}
		seen[p] = true
		st := stats[p]
		ticks += st.UTime + st.STime + st.CUTime + st.CSTime
		todo = append(todo, children[p]...)
	}
	return time.Duration(ticks) * clockTick, nil
}

// SystemCPU returns the CPU time all processors have spent busy since
// boot (user, nice, system, irq, softirq and steal from the "cpu" line of
// /proc/stat, proc(5)): every process and kernel thread, for measurements
// that must not miss work a server leaves to the kernel's own threads.
func SystemCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseSystemCPU(b)
}

func parseSystemCPU(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("postfixtest: unexpected /proc/stat line %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system (idle iowait) irq softirq steal
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("postfixtest: /proc/stat: %v", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}
