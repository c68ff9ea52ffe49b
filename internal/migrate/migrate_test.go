package migrate

import (
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func file(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0010_later.sql":  file("CREATE TABLE c (x INTEGER);"),
		"migrations/0001_init.sql":   file("CREATE TABLE a (x INTEGER);"),
		"migrations/0002_second.sql": file("CREATE TABLE b (x INTEGER);"),
		"other/0003_elsewhere.sql":   file("not read"),
	}
	got, err := Load(fsys, "migrations")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []Migration{
		{Version: 1, Name: "0001_init.sql", SQL: "CREATE TABLE a (x INTEGER);"},
		{Version: 2, Name: "0002_second.sql", SQL: "CREATE TABLE b (x INTEGER);"},
		{Version: 10, Name: "0010_later.sql", SQL: "CREATE TABLE c (x INTEGER);"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadRefuses(t *testing.T) {
	// By the error expected: the directory's files.
	for want, fsys := range map[string]fstest.MapFS{
		"init.sql: name is not NNNN_name.sql":      {"migrations/0001_init.sql": file(""), "migrations/init.sql": file("")},
		"x001_init.sql: name is not NNNN_name.sql": {"migrations/x001_init.sql": file("")},
		"+001_init.sql: name is not NNNN_name.sql": {"migrations/+001_init.sql": file("")},
		"0000_init.sql: name is not NNNN_name.sql": {"migrations/0000_init.sql": file("")},
		"0001_.sql: name is not NNNN_name.sql":     {"migrations/0001_.sql": file("")},
		"0001_init.txt: name is not NNNN_name.sql": {"migrations/0001_init.txt": file("")},
		"migrations 0002_a.sql and 2_b.sql have the same version": {
			"migrations/0001_init.sql": file(""), "migrations/0002_a.sql": file(""), "migrations/2_b.sql": file("")},
		"no migrations in migrations": {"migrations": &fstest.MapFile{Mode: fs.ModeDir}},
		"file does not exist":         {"other/0001_init.sql": file("")},
	} {
		got, err := Load(fsys, "migrations")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load of %v = %+v, %v; want an error containing %q", slices.Sorted(maps.Keys(fsys)), got, err, want)
		}
	}
}

func TestPending(t *testing.T) {
	all := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}, {Version: 5, Name: "0005_c.sql"}}
	for _, tc := range []struct {
		applied int64
		want    []Migration
	}{
		{0, all},
		{1, all[1:]},
		{3, all[2:]}, // a version between two files
		{5, nil},
	} {
		got, err := Pending(all, tc.applied)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Pending(applied %d) = %+v, %v; want %+v", tc.applied, got, err, tc.want)
		}
	}
	if got, err := Pending(all, 6); err == nil || !strings.Contains(err.Error(), "newer than this antomgw's 5") {
		t.Errorf("Pending(applied 6) = %+v, %v; want an error saying the database is newer", got, err)
	}
}
