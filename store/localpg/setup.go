package localpg

// Finding the server's binaries, preparing the directories it runs in, as
// the right user, and the command line and environment it runs with.

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// binDir finds the newest installed server's bin directory.
func binDir() (string, error) {
	usable := func(dir string) bool {
		_, e1 := os.Stat(filepath.Join(dir, "postgres"))
		_, e2 := os.Stat(filepath.Join(dir, "initdb"))
		return e1 == nil && e2 == nil
	}
	// Debian names them by major version ("9.6", "15"); the glob's
	// lexical order would put 9.6 last, so compare numerically.
	best, bestVer := "", -1.0
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for _, d := range dirs {
		ver, err := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		if err == nil && ver > bestVer && usable(d) {
			best, bestVer = d, ver
		}
	}
	if best != "" {
		return best, nil
	}
	// pg_config may come from libpq-dev alone, hence the usable check.
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); usable(d) {
			return d, nil
		}
	}
	return "", errors.New("localpg: no PostgreSQL server binaries (postgres, initdb) found in /usr/lib/postgresql/*/bin or pg_config --bindir; install them with `apt-get install postgresql`")
}

// serverCredential returns nil when postgres can run as the current user,
// and the "postgres" user's identity when we are root, which initdb and
// postgres refuse to run as.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("localpg: running as root needs a \"postgres\" user to run the server as: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	groups, _ := u.GroupIds()
	for _, g := range groups {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			cred.Groups = append(cred.Groups, uint32(n))
		}
	}
	return cred, nil
}

// prepareDataDir creates the data dir with the ownership and mode postgres
// insists on, and makes sure the server user can reach it.
//
// As root, a parent the postgres user cannot pass through (a home directory
// of mode 0700, say, where `make run` was started) gets the search bit for
// others, o+x: that lets postgres reach the data dir by its path without
// letting anyone list the directory. It is logged.
func prepareDataDir(dataDir string, cred *syscall.Credential, logger *slog.Logger) error {
	var created []string
	for d := dataDir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("localpg: create data dir: %w", err)
	}
	if fi, err := os.Stat(dataDir); err != nil || fi.Mode().Perm()&0o027 != 0 {
		if err := os.Chmod(dataDir, 0o700); err != nil {
			return fmt.Errorf("localpg: chmod data dir: %w", err)
		}
	}
	if cred == nil {
		return nil
	}
	for i, d := range created { // our own parents; the umask may have closed them
		if i == 0 {
			continue // the data dir itself stays private
		}
		if err := os.Chmod(d, 0o755); err != nil {
			return fmt.Errorf("localpg: chmod %s: %w", d, err)
		}
	}
	if err := os.Chown(dataDir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("localpg: chown data dir: %w", err)
	}
	resolved, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		return fmt.Errorf("localpg: data dir: %w", err)
	}
	for d := filepath.Dir(resolved); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("localpg: data dir parent: %w", err)
		}
		if !traversable(fi, cred) {
			if err := os.Chmod(d, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("localpg: the postgres user (uid %d) cannot enter %s (mode %v), which holds the data dir; allow it (chmod o+x) or choose another data dir: %w",
					cred.Uid, d, fi.Mode(), err)
			}
			logger.Warn("localpg: let the postgres user pass through a directory on the way to the data dir (chmod o+x)", "dir", d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func traversable(fi fs.FileInfo, cred *syscall.Credential) bool {
	st := fi.Sys().(*syscall.Stat_t)
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == cred.Uid:
		return perm&0o100 != 0
	case st.Gid == cred.Gid || slices.Contains(cred.Groups, st.Gid):
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

// sockDirFor names the socket directory of the server on dataDir.
func sockDirFor(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return fmt.Sprintf("/tmp/kefu-pg-%x", sum[:4])
}

// prepareSockDir makes a short private directory for the socket: unix socket
// paths are limited to ~107 bytes and data dirs can be long.
func prepareSockDir(dataDir string, cred *syscall.Credential) (string, error) {
	dir := sockDirFor(dataDir)
	uid := os.Geteuid()
	if cred != nil {
		uid = int(cred.Uid)
	}
	if err := os.Mkdir(dir, 0o700); err == nil && cred != nil {
		if err := os.Chown(dir, uid, int(cred.Gid)); err != nil {
			return "", fmt.Errorf("localpg: chown socket dir: %w", err)
		}
	} else if err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("localpg: create socket dir: %w", err)
	}
	// /tmp is shared: refuse anything we would not have created ourselves.
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("localpg: socket dir: %w", err)
	}
	if !fi.IsDir() || int(fi.Sys().(*syscall.Stat_t).Uid) != uid {
		return "", fmt.Errorf("localpg: socket dir %s is not a directory owned by uid %d; remove it", dir, uid)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("localpg: chmod socket dir: %w", err)
	}
	return dir, nil
}

// serverArgs is the postmaster's command line: the data dir, the socket
// only, and the settings of opts.
func serverArgs(dataDir, sockDir string, opts Options) []string {
	args := []string{"-D", dataDir, "-k", sockDir, "-p", strconv.Itoa(port), "-c", "listen_addresses="}
	if opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Settings)) {
		args = append(args, "-c", name+"="+opts.Settings[name])
	}
	return args
}

// serverEnv drops settings that would redirect initdb/postgres (PGDATA and
// friends) or pull in an uninstalled locale.
func serverEnv() []string {
	env := []string{"LC_ALL=C"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG") {
			env = append(env, kv)
		}
	}
	return env
}
