package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// TestUpgradeKeepsSigningKey: a database made before staged key rotation
// (schema 0003) whose newest gateway key signed keeps that key signing after
// the upgrade; the older versions become published, and clients are not
// pinned.
func TestUpgradeKeepsSigningKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "antomgw.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for v, name := range []string{"0001_init.sql", "0002_notifications.sql", "0003_client_encrypted.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, v+1); err != nil {
			t.Fatal(err)
		}
	}
	for v := 1; v <= 2; v++ {
		if _, err := db.Exec(`INSERT INTO gateway_keys (version, private_key, created_at) VALUES (?, ?, ?)`, v, []byte{byte(v)}, int64(v)*1000); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO clients (client_id, created_at) VALUES ('c', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	reg, err := s.LoadRegistry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.GatewayKeys) != 2 || reg.GatewayKeys[0].State != gateway.GatewayKeyPublished || reg.GatewayKeys[1].State != gateway.GatewayKeyActive {
		t.Errorf("gateway keys after the upgrade = %+v, want version 1 published and version 2 (the newest) active", reg.GatewayKeys)
	}
	if got := reg.GatewayKeys[1].ActivatedAt.UnixMilli(); got != 2000 {
		t.Errorf("version 2 ActivatedAt = %d ms, want its creation time 2000", got)
	}
	if len(reg.Clients) != 1 || reg.Clients[0].GatewayKeyVersion != 0 {
		t.Errorf("clients after the upgrade = %+v, want one, not pinned", reg.Clients)
	}
}
