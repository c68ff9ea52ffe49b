package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// The tests here open three Stores on one schema: three pools, as three
// gateway nodes on one database would have.

var nodeTime = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// openNodes opens n stores on one new schema.
func openNodes(tb testing.TB, n int) []*Store {
	tb.Helper()
	schema := newSchema(tb)
	nodes := make([]*Store, n)
	for i := range nodes {
		nodes[i] = openTest(tb, Options{Schema: schema, MaxConns: 4})
	}
	return nodes
}

// claimAcross runs workers goroutines per node, each claiming up to batch
// rows at a time with claim until a claim comes back empty, and returns how
// often each id was claimed.
func claimAcross(tb testing.TB, nodes []*Store, workers int, claim func(s *Store) ([]string, error)) map[string]int {
	tb.Helper()
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, s := range nodes {
		for range workers {
			wg.Go(func() {
				<-start
				for {
					ids, err := claim(s)
					if err != nil {
						tb.Errorf("claim: %v", err)
						return
					}
					if len(ids) == 0 {
						return
					}
					mu.Lock()
					for _, id := range ids {
						claims[id]++
					}
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	return claims
}

func checkEachOnce(tb testing.TB, claims map[string]int, want int) {
	tb.Helper()
	if len(claims) != want {
		tb.Errorf("claimed %d distinct rows, want %d", len(claims), want)
	}
	for id, n := range claims {
		if n != 1 {
			tb.Errorf("%s claimed %d times, want once", id, n)
		}
	}
}

func TestNodesClaimNotificationsEachOnce(t *testing.T) {
	const rows = 300
	nodes := openNodes(t, 3)
	err := nodes[0].Update(context.Background(), func(tx gateway.Tx) error {
		for i := range rows {
			n := &gateway.Notification{ID: fmt.Sprintf("n-%03d", i), ClientID: "client-a", Kind: gateway.NotifyPayment,
				PaymentID: fmt.Sprintf("pay-%03d", i), URL: "https://merchant.example/notify", Body: []byte(`{}`),
				CreatedAt: nodeTime, DueAt: nodeTime.Add(time.Duration(i%5) * time.Millisecond)}
			if err := tx.InsertNotification(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert notifications: %v", err)
	}
	claims := claimAcross(t, nodes, 4, func(s *Store) ([]string, error) {
		got, err := s.ClaimNotifications(context.Background(), nodeTime.Add(time.Second), time.Hour, 7)
		var ids []string
		for _, n := range got {
			ids = append(ids, n.ID)
		}
		return ids, err
	})
	checkEachOnce(t, claims, rows)
}

func TestNodesClaimJobsEachOnce(t *testing.T) {
	const rows = 300
	nodes := openNodes(t, 3)
	err := nodes[1].Update(context.Background(), func(tx gateway.Tx) error {
		for i := range rows {
			j := &gateway.Job{Kind: gateway.JobPaymentExpire, ClientID: "client-a", TargetID: fmt.Sprintf("pay-%03d", i),
				DueAt: nodeTime.Add(time.Duration(i%5) * time.Millisecond)}
			if err := tx.InsertJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert jobs: %v", err)
	}
	claims := claimAcross(t, nodes, 4, func(s *Store) ([]string, error) {
		got, err := s.ClaimJobs(context.Background(), nodeTime.Add(time.Second), time.Hour, 7)
		var ids []string
		for _, j := range got {
			if j.Attempts != 1 {
				t.Errorf("job %d Attempts = %d, want 1", j.ID, j.Attempts)
			}
			ids = append(ids, j.TargetID)
		}
		return ids, err
	})
	checkEachOnce(t, claims, rows)
}

// TestNodesInsertPaymentOneWinner sends each of 20 request ids to the 3
// nodes at once, 3 times each: one payment per request id.
func TestNodesInsertPaymentOneWinner(t *testing.T) {
	ctx := context.Background()
	const requests, perNode = 20, 3
	nodes := openNodes(t, 3)
	type result struct {
		request int
		id      string
		err     error
	}
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	start := make(chan struct{})
	for r := range requests {
		for n, s := range nodes {
			for k := range perNode {
				wg.Go(func() {
					<-start
					p := &gateway.Payment{ID: fmt.Sprintf("pay-%02d-%d-%d", r, n, k), ClientID: "client-a",
						RequestID: fmt.Sprintf("req-%02d", r), Amount: gateway.Money{Value: 100, Currency: "USD"},
						Status: gateway.PaymentProcessing, CreatedAt: nodeTime}
					err := s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(p) })
					mu.Lock()
					results = append(results, result{r, p.ID, err})
					mu.Unlock()
				})
			}
		}
	}
	close(start)
	wg.Wait()
	winners := map[int]string{}
	for _, res := range results {
		switch {
		case res.err == nil:
			if w, ok := winners[res.request]; ok {
				t.Errorf("request %d: %s and %s both inserted", res.request, w, res.id)
			}
			winners[res.request] = res.id
		case !errors.Is(res.err, gateway.ErrConflict):
			t.Errorf("insert %s: error = %v, want nil or %v", res.id, res.err, gateway.ErrConflict)
		}
	}
	for r := range requests {
		w, ok := winners[r]
		if !ok {
			t.Errorf("request %d: no insert succeeded", r)
			continue
		}
		// Every node reads the winner.
		for i, s := range nodes {
			p, err := s.PaymentByRequestID(ctx, "client-a", fmt.Sprintf("req-%02d", r))
			if err != nil || p.ID != w {
				t.Errorf("node %d: PaymentByRequestID(req-%02d) = %v, %v, want %s", i, r, p, err, w)
			}
		}
	}
	var count int
	if err := nodes[0].pool.QueryRow(ctx, `SELECT count(*) FROM payments`).Scan(&count); err != nil || count != requests {
		t.Errorf("payments = %d, %v, want %d", count, err, requests)
	}
}

// TestNodesRegistry: a registry change made through one node is seen by
// the Keyring of another at its next request, and two nodes rotating the
// gateway key at once get distinct versions.
func TestNodesRegistry(t *testing.T) {
	ctx := context.Background()
	nodes := openNodes(t, 3)
	before, err := nodes[2].RegistryVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].AddClient(ctx, gateway.Client{ID: "client-a", CreatedAt: nodeTime},
		gateway.ClientKey{Version: 1, PublicKey: []byte{1}, CreatedAt: nodeTime}); err != nil {
		t.Fatalf("AddClient: %v", err)
	}
	after, err := nodes[2].RegistryVersion(ctx)
	if err != nil || after <= before {
		t.Errorf("RegistryVersion on another node = %d, %v, want more than %d", after, err, before)
	}
	reg, err := nodes[1].LoadRegistry(ctx)
	if err != nil || len(reg.Clients) != 1 || reg.Version != after {
		t.Errorf("LoadRegistry on another node = %+v, %v, want client-a at version %d", reg, err, after)
	}

	const rotations = 5
	versions := make(chan int, len(nodes)*rotations)
	var wg sync.WaitGroup
	for _, s := range nodes {
		wg.Go(func() {
			for i := range rotations {
				v, err := s.AddGatewayKey(ctx, []byte{byte(i)}, nodeTime, false)
				if err != nil {
					t.Errorf("AddGatewayKey: %v", err)
					return
				}
				versions <- v
			}
		})
	}
	wg.Wait()
	close(versions)
	seen := map[int]bool{}
	for v := range versions {
		if seen[v] {
			t.Errorf("version %d assigned twice", v)
		}
		seen[v] = true
	}
	for v := 1; v <= len(nodes)*rotations; v++ {
		if !seen[v] {
			t.Errorf("version %d not assigned; want 1..%d", v, len(nodes)*rotations)
		}
	}
}

// TestNodesEnsureGatewayKey: nodes starting together on an empty database
// create one gateway key between them, and every node reports it.
func TestNodesEnsureGatewayKey(t *testing.T) {
	ctx := context.Background()
	nodes := openNodes(t, 3)
	var generated atomic.Int32
	type result struct {
		version int
		added   bool
		err     error
	}
	results := make([]result, len(nodes))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range nodes {
		wg.Go(func() {
			<-start
			v, added, err := s.EnsureGatewayKey(ctx, func() ([]byte, error) {
				generated.Add(1)
				return []byte{byte(i)}, nil
			}, nodeTime)
			results[i] = result{v, added, err}
		})
	}
	close(start)
	wg.Wait()
	adders := 0
	for i, r := range results {
		if r.err != nil || r.version != 1 {
			t.Errorf("node %d: EnsureGatewayKey = %d, %v, %v, want version 1", i, r.version, r.added, r.err)
		}
		if r.added {
			adders++
		}
	}
	if adders != 1 || generated.Load() != 1 {
		t.Errorf("%d nodes added a key, generate called %d times; want 1 and 1", adders, generated.Load())
	}
	reg, err := nodes[0].LoadRegistry(ctx)
	if err != nil || len(reg.GatewayKeys) != 1 {
		t.Errorf("LoadRegistry = %+v, %v, want one gateway key", reg, err)
	}
	// With a key present it adds nothing, and the registry version stays.
	before, _ := nodes[1].RegistryVersion(ctx)
	v, added, err := nodes[1].EnsureGatewayKey(ctx, func() ([]byte, error) {
		t.Errorf("generate called with a key present")
		return nil, errors.New("unexpected")
	}, nodeTime)
	after, _ := nodes[1].RegistryVersion(ctx)
	if v != 1 || added || err != nil || after != before {
		t.Errorf("EnsureGatewayKey with a key = %d, %v, %v, registry version %d → %d; want 1, false, nil, unchanged", v, added, err, before, after)
	}
}
