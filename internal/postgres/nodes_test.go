package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/storetest"
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

// TestNodes runs the concurrency tests of the suite on three nodes.
func TestNodes(t *testing.T) {
	databaseURL(t) // skip at once without a database
	storetest.RunShared(t, func(t *testing.T) []gateway.Store {
		var stores []gateway.Store
		for _, s := range openNodes(t, 3) {
			stores = append(stores, s)
		}
		return stores
	})
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
