//go:build linux

package fault

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// mountTmpfs mounts a tmpfs of the given size on a new directory and
// unmounts it when the test ends (after the servers registered later are
// killed). It skips the test when mounting is not allowed.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", mnt).CombinedOutput()
	if err != nil {
		t.Skipf("disk full: a small filesystem to fill is needed, and mounting a tmpfs failed (%v: %s); "+
			"run as root with CAP_SYS_ADMIN. Nothing else here fills a real disk honestly: chmod does not stop root, "+
			"and SQLite's max_page_count cannot be set on the server from outside", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	return mnt
}

// fill writes a file until the filesystem refuses (ENOSPC) and returns its
// size.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	defer f.Close()
	var n int64
	for _, chunk := range []int{1 << 16, 1 << 12, 1} {
		buf := make([]byte, chunk)
		for {
			w, err := f.Write(buf)
			n += int64(w)
			if err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill %s: %v", path, err)
				}
				break
			}
		}
	}
	return n
}

func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// TestDiskFull runs the server with its data on a small tmpfs, fills the
// filesystem under pay load, and gives the space back. While writes fail
// the server must answer honestly — S only for what it recorded, U
// (UNKNOWN_EXCEPTION or PAYMENT_IN_PROCESS) otherwise, never F for a payment
// that would succeed, always signed — and keep serving reads; once space
// returns it must take payments again without a restart, and no payment it
// acknowledged may be lost, also across a SIGKILL afterwards. Then the data
// directory is made read-only (remount) for a start.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	gatewaytest.Binary(t) // skip under -short before mounting
	// 4 MiB: small enough that the space given back (about 2 MiB) is less
	// than SQLite's default WAL growth between checkpoints (1000 pages,
	// about 4 MiB). Before the store set wal_autocheckpoint to 256 pages,
	// the WAL took all of it and every write failed again for good; this
	// size keeps that fixed.
	mnt := mountTmpfs(t, "4m")
	e := newEnv(t, filepath.Join(mnt, "data"), "DISK_SHOP")
	flags := []string{"--sim-delay", "300ms"}
	s := e.mustStart(flags...)

	var (
		mu     sync.Mutex
		values = map[string]int64{}
		phases = []string{"before", "full", "after"}
		rec    = map[string]*record{"before": {}, "full": {}, "after": {}}
	)
	n := 0
	pay := func(phase, id string, value int64) attempt {
		mu.Lock()
		values[id] = value
		mu.Unlock()
		a := s.try(id, value, gatewaytest.Request{Path: pathPayV1, Body: payV1(id, value)})
		rec[phase].add(a)
		return a
	}
	// attempts returns every attempt of every phase by request id.
	attempts := func() (map[string][]attempt, []string) {
		var all [][]attempt
		for _, ph := range phases {
			all = append(all, rec[ph].all())
		}
		return byRequestID(all...)
	}
	value := func(i int) int64 {
		if i%4 == 3 {
			return 9903
		}
		return int64(100 + i%5000)
	}

	// Before: the disk has room.
	for range 40 {
		n++
		pay("before", fmt.Sprintf("DISK_%04d", n), value(n))
	}

	// Full: fill the filesystem, then keep paying and inquiring.
	filler := filepath.Join(mnt, "filler")
	sizesWhenFull := fileSizes(t, e.data)
	filled := fill(t, filler)
	freeWhenFull := freeBytes(t, mnt)
	fullStart := time.Now()
	var inquiriesOK, inquiriesBad int
	var wg sync.WaitGroup
	ids := make(chan string)
	for range 3 {
		wg.Go(func() {
			for id := range ids {
				mu.Lock()
				v := values[id]
				mu.Unlock()
				pay("full", id, v)
			}
		})
	}
	for time.Since(fullStart) < 3*time.Second || n < 200 {
		n++
		id := fmt.Sprintf("DISK_%04d", n)
		mu.Lock()
		values[id] = value(n)
		mu.Unlock()
		ids <- id
		if n%10 == 0 {
			// Reads keep working while writes fail.
			rep, err := s.inquire("DISK_0001")
			if err != nil || rep.Result.Code != wire.CodeSuccess || rep.PaymentStatus != "SUCCESS" {
				inquiriesBad++
				t.Errorf("inquiryPayment while the disk is full: %v %v", rep, err)
			} else {
				inquiriesOK++
			}
		}
		if n > 2000 {
			break
		}
	}
	close(ids)
	wg.Wait()
	fullFor := time.Since(fullStart)
	if !s.Running() {
		t.Fatalf("the server exited while the disk was full: %v\n%s", s.State(), s.Tail())
	}
	if rec["full"].answers.count("U "+wire.CodeUnknownException) == 0 {
		t.Fatalf("the disk was full (%d bytes free after writing %d) yet no pay was answered U UNKNOWN_EXCEPTION: the test did not reach a failing write; answers: %s",
			freeWhenFull, filled, rec["full"].answers.String())
	}

	// Space returns: the same server takes payments again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	recoverStart := time.Now()
	var last attempt
	if !gatewaytest.WaitFor(time.Minute, func() bool {
		n++
		last = pay("after", fmt.Sprintf("DISK_%04d", n), 100+int64(n))
		return last.err == nil && last.result.Code == wire.CodeSuccess
	}) {
		t.Fatalf("no pay succeeded within a minute of freeing the disk; last answer %v %v\n%s", last.result, last.err, s.Tail())
	}
	recovered := time.Since(recoverStart)
	for range 30 {
		n++
		a := pay("after", fmt.Sprintf("DISK_%04d", n), value(n))
		if a.err != nil || (a.value != 9903 && a.result.Code != wire.CodeSuccess) {
			t.Errorf("pay after the disk was freed: %v %v", a.result, a.err)
		}
	}
	// The merchant retries every request whose answer was not final.
	retried := 0
	byID, reqIDs := attempts()
	for _, id := range reqIDs {
		as := byID[id]
		last := as[len(as)-1]
		if last.err == nil && last.result.Status != wire.StatusUnknown {
			continue
		}
		retried++
		pay("after", id, values[id])
	}

	took, left := waitFinal(t, e, 2*time.Minute)
	if len(left) > 0 {
		t.Errorf("%d payments still PROCESSING %v after the disk was freed: %v\n%s", len(left), took.Round(time.Second), first(left, 10), describeStuck(t, e, left))
	}
	byID, reqIDs = attempts() // the retries too
	check := func(when string) (ackS, checked int) {
		qs := inquireAll(s, reqIDs)
		for _, id := range reqIDs {
			var pid string
			var sawS bool
			for _, a := range byID[id] {
				if a.err != nil {
					continue
				}
				if a.result.Status == wire.StatusFail {
					t.Errorf("%s (value %d): answered F %s %q — no F is honest for this amount", id, a.value, a.result.Code, a.result.Message)
				}
				if a.paymentID != "" {
					if pid != "" && pid != a.paymentID {
						t.Errorf("%s: two paymentIds in answers, %s and %s", id, pid, a.paymentID)
					}
					pid = a.paymentID
				}
				sawS = sawS || a.result.Code == wire.CodeSuccess
			}
			q := qs[id]
			if q.err != nil {
				t.Errorf("%s: inquiryPayment %s: %v", id, when, q.err)
				continue
			}
			if q.result.Code == wire.CodeOrderNotExist {
				if pid != "" {
					t.Errorf("LOST %s: %s was answered with paymentId %s and does not exist", when, id, pid)
				}
				continue
			}
			checked++
			if sawS {
				ackS++
				if q.paymentStatus != "SUCCESS" || q.paymentID != pid {
					t.Errorf("LOST %s: %s was answered S with paymentId %s; inquiry says %s %s", when, id, pid, q.paymentID, q.paymentStatus)
				}
			}
			if want := wantFinal(values[id]); q.paymentStatus != string(want) {
				t.Errorf("%s %s (value %d): paymentStatus %s, want %s", when, id, values[id], q.paymentStatus, want)
			}
		}
		return ackS, checked
	}
	ackS, checked := check("after the disk was freed")
	var unknownRecorded, unknownNothing int
	for _, as := range byID {
		for _, a := range as {
			if a.err == nil && a.result.Code == wire.CodeUnknownException {
				if a.paymentID != "" {
					unknownRecorded++
				} else {
					unknownNothing++
				}
			}
		}
	}

	// Durable, not only in the process: SIGKILL, restart, check again.
	s.Kill()
	s = e.mustStart(flags...)
	ackS2, checked2 := check("after SIGKILL and restart")
	callFailed := strings.Count(allStderr(e), `msg="call failed"`)
	if err := s.term(); err != nil {
		t.Error(err)
	}
	st := openStore(t, e)
	stored, dups := paymentsByRequest(allPayments(t, st, ""))
	if len(dups) > 0 {
		t.Errorf("request ids with two payments: %v", dups)
	}
	if _, err := dump(st); err != nil {
		t.Errorf("read every record of the store: %v", err)
	}
	st.Close() // before the read-only remount below
	for _, ph := range phases {
		rec[ph].checkBad(t, "disk full, "+ph)
	}

	// Read-only: the data directory's filesystem remounted read-only while
	// the server is stopped (Linux refuses a read-only remount while the
	// server holds the database open for writing).
	roOutcome := readOnlyStart(t, e, mnt, flags)

	t.Logf("disk full: tmpfs 4 MiB, filled with %d bytes (%d bytes free; data files then: %s); full for %v", filled, freeWhenFull, sizesWhenFull, fullFor.Round(time.Millisecond))
	t.Logf("disk full: answers before: %s", rec["before"].answers.String())
	t.Logf("disk full: answers while full: %s; inquiries while full: %d S, %d failed", rec["full"].answers.String(), inquiriesOK, inquiriesBad)
	t.Logf("disk full: U UNKNOWN_EXCEPTION answers: %d with a paymentId (payment recorded, its decision not), %d without (nothing recorded)", unknownRecorded, unknownNothing)
	t.Logf("disk full: answers after: %s (%d requests retried with the same id); first S %v after the space returned, no restart",
		rec["after"].answers.String(), retried, recovered.Round(time.Millisecond))
	t.Logf("disk full: %d request ids, %d payments in the store, all final %v after the space returned; checked %d (%d answered S) after freeing, %d (%d answered S) after SIGKILL + restart; %d \"call failed\" lines logged",
		len(byID), len(stored), took.Round(time.Millisecond), checked, ackS, checked2, ackS2, callFailed)
	t.Logf("disk full: read-only data directory: %s", roOutcome)
	t.Logf("disk full: server warnings and errors: %s", logErrors(allStderr(e), 8))
	if !t.Failed() {
		t.Logf("disk full: nothing lost — every payment answered S is SUCCESS, also after SIGKILL; every record of the store read back")
	}
}

// readOnlyStart remounts the stopped server's filesystem read-only, starts
// the server on it and says what happened; it then remounts read-write and
// checks that the server starts again.
func readOnlyStart(t *testing.T, e *env, mnt string, flags []string) string {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Errorf("remount read-only: %v: %s", err, out)
		return "not tried: remount failed"
	}
	var outcome string
	s, err := e.start(flags...)
	if err != nil {
		// It refused to start: the honest outcome, as long as it says why.
		if s == nil {
			t.Fatalf("on a read-only data directory: %v", err)
		}
		msg := s.Stderr()
		if s.Running() || s.State().Success() {
			t.Errorf("on a read-only data directory: %v", err)
		}
		if !strings.Contains(msg, "open store") {
			t.Errorf("on a read-only data directory the server exited (%v) without saying it could not open its store:\n%s", s.State(), msg)
		}
		outcome = fmt.Sprintf("serve refuses to start (%v): %s", s.State(), clip(strings.TrimSpace(lastLine(msg)), 200))
	} else {
		rep, err := s.send(gatewaytest.Request{Path: pathPayV1, Body: payV1("DISK_RO", 100)})
		if err != nil || rep.Result.Status == wire.StatusSuccess || rep.Result.Status == wire.StatusFail {
			t.Errorf("pay on a read-only data directory: %v %v, want U", rep, err)
		}
		outcome = fmt.Sprintf("serve started; a pay was answered %v", rep)
		s.Kill()
	}
	if out, err := exec.Command("mount", "-o", "remount,rw", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount read-write: %v: %s", err, out)
	}
	s2 := e.mustStart(flags...)
	rep, err := s2.inquire("DISK_0001")
	if err != nil || rep.PaymentStatus != "SUCCESS" {
		t.Errorf("after remounting read-write: inquiryPayment %v %v", rep, err)
	}
	if err := s2.term(); err != nil {
		t.Error(err)
	}
	return outcome + "; after remounting read-write it starts and serves the payments"
}

// fileSizes lists the files of dir with their sizes.
func fileSizes(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, de := range entries {
		if info, err := de.Info(); err == nil {
			parts = append(parts, fmt.Sprintf("%s %d", de.Name(), info.Size()))
		}
	}
	return strings.Join(parts, ", ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// allStderr is the stderr of every server the env started.
func allStderr(e *env) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, s := range e.servers {
		b.WriteString(s.Stderr())
	}
	return b.String()
}
