package postfixtest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// prepare creates the directory layout and writes main.cf, master.cf and
// the virtual mailbox map.
func (s *Server) prepare(cfg Config) error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("postfixtest: %w", err)
	}
	if err := searchable(s.Dir); err != nil {
		return err
	}
	pf, err := user.Lookup("postfix")
	if err != nil {
		return fmt.Errorf("%w: no postfix user", ErrUnavailable)
	}
	pfUID, _ := strconv.Atoi(pf.Uid)
	vUID, vGID := nobody()
	data := filepath.Join(s.Dir, "data")
	for _, d := range []struct {
		path     string
		uid, gid int
	}{
		{s.ConfigDir, 0, 0},
		{s.QueueDir, 0, 0}, // Postfix insists the queue root is root-owned
		{data, pfUID, -1},  // master.lock and caches, written as postfix
		{s.MailDir, vUID, vGID},
	} {
		if err := os.MkdirAll(d.path, 0o755); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
		if err := os.Chmod(d.path, 0o755); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
		if err := os.Chown(d.path, d.uid, d.gid); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
	}
	files := map[string]string{
		"main.cf":   MainCF(s, cfg, vUID, vGID),
		"master.cf": MasterCF(s.Addr),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(s.ConfigDir, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
	}
	return nil
}

// MainCF renders main.cf for s and cfg; uid and gid own delivered mail.
func MainCF(s *Server, cfg Config, uid, gid int) string {
	domains := cfg.MaildirDomains
	if len(domains) == 0 {
		domains = []string{"postfix.test"}
	}
	var b strings.Builder
	set := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, v) }
	set("compatibility_level", "3.6")
	set("queue_directory", s.QueueDir)
	set("data_directory", filepath.Join(s.Dir, "data"))
	set("meta_directory", "/etc/postfix")
	set("maillog_file", s.LogFile)
	set("maillog_file_prefixes", s.Dir)
	set("myhostname", "postfix.test")
	set("mydomain", "postfix.test")
	set("myorigin", "postfix.test")
	set("mydestination", "")
	set("local_transport", "error:5.1.1 no local delivery here")
	set("alias_maps", "")
	set("alias_database", "")
	set("local_recipient_maps", "")
	set("biff", "no")
	set("inet_interfaces", "127.0.0.1")
	set("inet_protocols", "ipv4")
	set("mynetworks", "127.0.0.0/8")
	set("smtpd_banner", "$myhostname ESMTP Postfix")
	set("smtpd_relay_restrictions", "permit_mynetworks, reject_unauth_destination")
	// No DNS at all: every next hop is an address literal in transport_maps.
	set("disable_dns_lookups", "yes")
	set("smtp_host_lookup", "native")
	set("smtp_tls_security_level", "none")
	set("virtual_mailbox_domains", strings.Join(domains, ", "))
	set("virtual_mailbox_base", s.MailDir)
	// Every recipient of the maildir domains shares one maildir (a
	// trailing slash means maildir in virtual(8)); virtual(8) refuses
	// regexp $1 substitution in mailbox paths, and the Delivered-To field
	// it adds tells recipients apart.
	set("virtual_mailbox_maps", "static:"+sharedMaildir+"/")
	set("virtual_uid_maps", "static:"+strconv.Itoa(uid))
	set("virtual_gid_maps", "static:"+strconv.Itoa(gid))
	set("virtual_minimum_uid", "100")
	if len(cfg.Relay) > 0 {
		keys := make([]string, 0, len(cfg.Relay))
		for d := range cfg.Relay {
			keys = append(keys, d)
		}
		sort.Strings(keys)
		var tm []string
		for _, d := range keys {
			tm = append(tm, d+"=smtp:["+hostOf(cfg.Relay[d])+"]:"+portOf(cfg.Relay[d]))
		}
		set("relay_domains", strings.Join(keys, ", "))
		set("transport_maps", "inline:{ "+strings.Join(tm, ", ")+" }")
	}
	if cfg.Hold {
		// access(5) HOLD: the message is queued into the hold queue and
		// never scheduled for delivery.
		set("smtpd_client_restrictions", "check_client_access static:HOLD")
	}
	if cfg.MessageSizeLimit > 0 {
		set("message_size_limit", strconv.Itoa(cfg.MessageSizeLimit))
	}
	for _, line := range cfg.Main {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func hostOf(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		return strings.Trim(hostport[:i], "[]")
	}
	return hostport
}

func portOf(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		return hostport[i+1:]
	}
	return "25"
}

// MasterCF renders master.cf: the SMTP listener on addr and the services
// a queue-and-deliver Postfix needs, none chrooted (the queue lives in a
// temporary directory without the chroot's copies of /etc files).
func MasterCF(addr string) string {
	return addr + ` inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
`
}

// nobody returns the uid and gid that own delivered mail: the nobody
// user, which virtual(8) accepts (uid >= virtual_minimum_uid).
func nobody() (uid, gid int) {
	uid, gid = 65534, 65534
	if u, err := user.Lookup("nobody"); err == nil {
		if n, err := strconv.Atoi(u.Uid); err == nil {
			uid = n
		}
		if n, err := strconv.Atoi(u.Gid); err == nil {
			gid = n
		}
	}
	return uid, gid
}

// searchable makes dir and its ancestors inside the system temporary
// directory searchable by others: Postfix's daemons run as the postfix
// user and t.TempDir() creates 0700 directories.
func searchable(dir string) error {
	tmp, err := filepath.Abs(os.TempDir())
	if err != nil {
		return fmt.Errorf("postfixtest: %w", err)
	}
	for p := dir; strings.HasPrefix(p, tmp+string(filepath.Separator)); p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
		if err := os.Chmod(p, fi.Mode().Perm()|0o055); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
	}
	return nil
}
