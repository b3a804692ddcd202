#!/usr/bin/env bash
# A real, self-contained WordPress on 127.0.0.1 for bantin's integration tests and CI.
#
#   scripts/wordpress.sh install                       apt-get the packages (only if missing)
#   scripts/wordpress.sh up [--port N] [--dir DIR]     create/start an instance, print its env
#   scripts/wordpress.sh down [--dir DIR]              stop it (data stays in DIR)
#   scripts/wordpress.sh status [--dir DIR]            exit 0 running, 3 stopped, 1 half-up
#   scripts/wordpress.sh destroy [--dir DIR]           down, then delete DIR and its config
#
# Debian 12, as root, no systemd. Everything of an instance lives in DIR (MariaDB datadir,
# socket, uploads, logs, credentials) except /etc/wordpress/config-<instance>.php, which
# Debian's wp-config.php selects through WORDPRESS_CONFIG. See scripts/README.md.
set -Eeuo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

WP_ROOT=/usr/share/wordpress
WP_CONTENT=/var/lib/wordpress/wp-content
WP_ETC=/etc/wordpress
SITE_TITLE='Cổng thông tin thử nghiệm'
WP_ADMIN_USER=bantin
APP_PASSWORD_NAME=bantin-tests
READY_TIMEOUT="${BANTIN_WP_TIMEOUT:-60}"
PHP_PATTERN=' -S 127.0.0.1:'

# php, php8.2-cgi and mini-httpd keep apt from satisfying `apache2 | httpd` and
# `libapache2-mod-php | php` with Apache; mini-httpd is never started.
PACKAGES=(
  wordpress wordpress-theme-twentytwentythree
  mariadb-server mariadb-client
  php php-cli php-mysql php-mbstring php-xml php-gd php8.2-cgi mini-httpd
  curl
)

log() { printf 'wordpress.sh: %s\n' "$*" >&2; }

show_logs() {
  local f
  [[ -n "${DIR:-}" && -d "${DIR}/logs" ]] || return 0
  for f in mariadb.log php-errors.log php-server.log; do
    [[ -s "$DIR/logs/$f" ]] || continue
    printf '\n----- last lines of %s -----\n' "$DIR/logs/$f" >&2
    # The PHP server logs every connection; those lines say nothing here.
    grep -v -e ' Accepted$' -e ' Closing$' "$DIR/logs/$f" | tail -n 25 >&2 || true
  done
}

die() {
  printf 'wordpress.sh: error: %s\n' "$*" >&2
  show_logs
  exit 1
}

# An error that the logs cannot explain.
fail() {
  printf 'wordpress.sh: error: %s\n' "$*" >&2
  exit 1
}

on_err() {
  local rc=$? line=$1
  trap - ERR
  # In a $(...) subshell: let the parent report it once.
  [[ $BASH_SUBSHELL -eq 0 ]] || exit "$rc"
  printf 'wordpress.sh: error: command failed (exit %s) at line %s: %s\n' \
    "$rc" "$line" "$BASH_COMMAND" >&2
  show_logs
  exit "$rc"
}
trap 'on_err $LINENO' ERR

usage() {
  sed -n '3,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

require_root() {
  [[ $EUID -eq 0 ]] || fail "must run as root (apt-get, /etc/wordpress, mariadbd)"
}

# ---------------------------------------------------------------------------- install

missing_packages() {
  local installed
  installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null \
    | awk '$1 == "ii" { print $2 }' || true)"
  local p
  for p in "${PACKAGES[@]}"; do
    grep -qxF "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

cmd_install() {
  require_root
  local missing
  missing="$(missing_packages)"
  if [[ -z "$missing" ]]; then
    return 0
  fi
  # Two `up`s at once on a fresh machine: one installs, the other waits and re-checks.
  mkdir -p /run/lock
  exec 8>/run/lock/bantin-wordpress-install.lock
  flock -w 900 8 || fail "timed out waiting for another wordpress.sh install"
  missing="$(missing_packages)"
  if [[ -z "$missing" ]]; then
    exec 8>&-
    return 0
  fi
  log "installing packages: $(tr '\n' ' ' <<<"$missing")"
  export DEBIAN_FRONTEND=noninteractive
  # Package scripts must not try to start services (there is no init system to ask).
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, from bantin scripts/wordpress.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  {
    apt-get -o DPkg::Lock::Timeout=300 update -qq \
      && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${PACKAGES[@]}"
  } </dev/null >&2 || rc=$?
  if [[ $made_policy -eq 1 ]]; then
    rm -f /usr/sbin/policy-rc.d
  fi
  [[ $rc -eq 0 ]] || fail "apt-get failed (exit $rc)"
  missing="$(missing_packages)"
  [[ -z "$missing" ]] || fail "packages still missing after apt-get: $missing"
  exec 8>&- # background servers started later must not inherit the lock
}

# ---------------------------------------------------------------------------- instance

parse_args() {
  PORT="${BANTIN_WP_PORT:-8089}"
  DIR="${BANTIN_WP_DIR:-$REPO_ROOT/var/wordpress}"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) [[ $# -ge 2 ]] || usage; PORT="$2"; shift 2 ;;
      --port=*) PORT="${1#*=}"; shift ;;
      --dir) [[ $# -ge 2 ]] || usage; DIR="$2"; shift 2 ;;
      --dir=*) DIR="${1#*=}"; shift ;;
      -h|--help) usage ;;
      *) log "unknown argument: $1"; usage ;;
    esac
  done
  [[ "$PORT" =~ ^[0-9]+$ && "$PORT" -ge 1 && "$PORT" -le 65535 ]] || fail "bad port: $PORT"
  DIR="$(realpath -m -- "$DIR")"
  # DIR goes into PHP string literals (config, router): keep it plain.
  [[ "$DIR" != *[\'\"\\\$]* ]] || fail "DIR must not contain quotes, backslashes or \$: $DIR"
  INSTANCE="bantin-$(printf '%s' "$DIR" | sha1sum | cut -c1-12)"
  CONFIG_FILE="$WP_ETC/config-$INSTANCE.php"
  DATADIR="$DIR/mysql"
  SOCKET="$DIR/run/mysqld.sock"
  # A Unix socket path must fit in 108 bytes; deep temporary dirs can exceed it.
  if [[ ${#SOCKET} -gt 100 ]]; then
    SOCKET="/run/bantin-wp/$INSTANCE.sock"
  fi
  DB_PIDFILE="$DIR/run/mariadbd.pid"
  PHP_PIDFILE="$DIR/run/php-server.pid"
  PORT_FILE="$DIR/run/port"
  STATE_FILE="$DIR/state"
  ENV_FILE="$DIR/env"
  URL="http://127.0.0.1:$PORT"
}

lock_instance() {
  exec 9>"$DIR/.lock"
  flock -w 300 9 || fail "another wordpress.sh holds $DIR/.lock"
}

# True if process PID exists and is not a zombie (kill -0 succeeds on zombies).
proc_alive() {
  local pid=$1 state
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# True if the pid in FILE is alive and its command line contains PATTERN.
pid_alive() {
  local file=$1 pattern=$2 pid
  [[ -s "$file" ]] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  proc_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

read_pid() { tr -dc '0-9' <"$1"; }

mysql_root() {
  mariadb --no-defaults --protocol=socket --socket="$SOCKET" -uroot "$@"
}

rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

load_state() {
  if [[ ! -s "$STATE_FILE" ]]; then
    (
      umask 077
      {
        echo "DB_PASSWORD=$(rand_hex 16)"
        echo "ADMIN_PASSWORD=$(rand_hex 12)"
        echo "SALT=$(rand_hex 32)"
      } >"$STATE_FILE.tmp"
      mv "$STATE_FILE.tmp" "$STATE_FILE"
    )
  fi
  # shellcheck disable=SC1090
  source "$STATE_FILE"
}

write_config() {
  mkdir -p "$WP_ETC"
  local tmp="$CONFIG_FILE.tmp.$$" key
  (
    umask 027
    {
      echo "<?php"
      echo "// Generated by bantin scripts/wordpress.sh for $DIR"
      echo "// (rewritten on every 'up'; selected with WORDPRESS_CONFIG=$INSTANCE)."
      echo "define('DB_NAME', 'wordpress');"
      echo "define('DB_USER', 'wordpress');"
      echo "define('DB_PASSWORD', '$DB_PASSWORD');"
      echo "define('DB_HOST', 'localhost:$SOCKET');"
      echo "define('DB_CHARSET', 'utf8mb4');"
      echo "define('DB_COLLATE', '');"
      echo "define('WP_HOME', '$URL');"
      echo "define('WP_SITEURL', '$URL');"
      echo "define('WP_ENVIRONMENT_TYPE', 'local');"
      echo "define('WP_HTTP_BLOCK_EXTERNAL', true);"
      echo "define('DISABLE_WP_CRON', true);"
      echo "define('AUTOMATIC_UPDATER_DISABLED', true);"
      echo "define('WP_AUTO_UPDATE_CORE', false);"
      echo "define('FS_METHOD', 'direct');"
      echo "define('WP_DEBUG', false);"
      echo "define('WP_MEMORY_LIMIT', '256M');"
      for key in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY \
        AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
        echo "define('$key', '$SALT-$key');"
      done
      echo "\$table_prefix = 'wp_';"
    } >"$tmp"
  )
  mv "$tmp" "$CONFIG_FILE"
}

write_router() {
  cat >"$DIR/router.php.tmp" <<PHP
<?php
// Router for PHP's built-in server, generated by bantin scripts/wordpress.sh.
// Existing static files are served as they are, PHP files and directories run their
// script, anything else goes to WordPress's index.php (pretty permalinks, /wp-json/).
\$_SERVER['WORDPRESS_CONFIG'] = '$INSTANCE';
header('X-Bantin-WP-Instance: $INSTANCE');
\$bantin_root = '$WP_ROOT';
\$bantin_content = '$WP_CONTENT';
\$bantin_uploads = '$DIR/uploads';
PHP
  cat >>"$DIR/router.php.tmp" <<'PHP'
$bantin_path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if ($bantin_path === '' || $bantin_path[0] !== '/') {
    $bantin_path = '/' . $bantin_path;
}
if (strpos($bantin_path, "\0") !== false || preg_match('#(^|/)\.\.(/|$)#', $bantin_path)) {
    http_response_code(400);
    return true;
}

function bantin_send_file(string $file): bool
{
    $types = [
        'css' => 'text/css; charset=utf-8', 'js' => 'text/javascript; charset=utf-8',
        'json' => 'application/json', 'svg' => 'image/svg+xml', 'png' => 'image/png',
        'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'gif' => 'image/gif',
        'webp' => 'image/webp', 'ico' => 'image/x-icon', 'woff' => 'font/woff',
        'woff2' => 'font/woff2', 'ttf' => 'font/ttf', 'txt' => 'text/plain; charset=utf-8',
        'pdf' => 'application/pdf', 'mp4' => 'video/mp4', 'mp3' => 'audio/mpeg',
    ];
    $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
    header('Content-Type: ' . ($types[$ext] ?? 'application/octet-stream'));
    header('Content-Length: ' . filesize($file));
    header('Last-Modified: ' . gmdate('D, d M Y H:i:s', filemtime($file)) . ' GMT');
    if ($_SERVER['REQUEST_METHOD'] !== 'HEAD') {
        readfile($file);
    }
    return true;
}

// Uploads live in the instance directory, other wp-content in Debian's FHS location.
if (strncmp($bantin_path, '/wp-content/uploads/', 20) === 0) {
    $bantin_file = $bantin_uploads . substr($bantin_path, 19);
    if (is_file($bantin_file) && !preg_match('/\.ph(p\d?|ar|tml)$/i', $bantin_file)) {
        return bantin_send_file($bantin_file);
    }
    http_response_code(404);
    return true;
}
if (strncmp($bantin_path, '/wp-content/', 12) === 0) {
    foreach ([$bantin_content, $bantin_root . '/wp-content'] as $bantin_base) {
        $bantin_file = $bantin_base . substr($bantin_path, 11);
        if (is_file($bantin_file) && !preg_match('/\.php$/i', $bantin_file)) {
            return bantin_send_file($bantin_file);
        }
    }
}

$bantin_script = null;
$bantin_file = $bantin_root . $bantin_path;
if (is_file($bantin_file)) {
    if (!preg_match('/\.php$/i', $bantin_file)) {
        return false; // the built-in server sends it, with its MIME type
    }
    $bantin_script = $bantin_path;
} elseif (is_dir($bantin_file) && is_file(rtrim($bantin_file, '/') . '/index.php')) {
    $bantin_script = rtrim($bantin_path, '/') . '/index.php';
} else {
    $bantin_script = '/index.php';
}
$_SERVER['SCRIPT_NAME'] = $bantin_script;
$_SERVER['PHP_SELF'] = $bantin_script;
$_SERVER['SCRIPT_FILENAME'] = $bantin_root . $bantin_script;
chdir(dirname($_SERVER['SCRIPT_FILENAME']));
require $_SERVER['SCRIPT_FILENAME']; // at file scope: WordPress relies on globals
PHP
  mv "$DIR/router.php.tmp" "$DIR/router.php"
}

write_setup_php() {
  cat >"$DIR/setup.php.tmp" <<'PHP'
<?php
// One-shot WordPress set-up, generated by bantin scripts/wordpress.sh; wp-cli is not
// packaged in Debian 12. `php setup.php install` installs the site if it is not;
// `php setup.php configure` sets options and prints a valid application password.
$mode = $argv[1] ?? 'configure';
$port = getenv('BANTIN_WP_PORT');
$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');
$_SERVER['HTTP_HOST'] = '127.0.0.1:' . $port;
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['SERVER_PORT'] = $port;
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
if ($mode === 'install') {
    define('WP_INSTALLING', true);
}
require '/usr/share/wordpress/wp-load.php';
add_filter('pre_wp_mail', '__return_false'); // no MTA here

if ($mode === 'install') {
    if (!function_exists('wp_new_blog_notification')) {
        function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password)
        {
        }
    }
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    if (!is_blog_installed()) {
        $result = wp_install(
            getenv('BANTIN_WP_TITLE'),
            getenv('BANTIN_WP_USER'),
            getenv('BANTIN_WP_USER') . '@example.com',
            false,
            '',
            getenv('BANTIN_WP_ADMIN_PASSWORD')
        );
        if (empty($result['user_id'])) {
            fwrite(STDERR, "wp_install failed\n");
            exit(1);
        }
        fwrite(STDERR, "wordpress.sh: WordPress installed\n");
    }
    exit(0);
}

if (!is_blog_installed()) {
    fwrite(STDERR, "WordPress is not installed\n");
    exit(1);
}
$url = 'http://127.0.0.1:' . $port;
$options = [
    'blogname' => getenv('BANTIN_WP_TITLE'),
    'home' => $url,
    'siteurl' => $url,
    'upload_path' => getenv('BANTIN_WP_UPLOADS'),
    'upload_url_path' => $url . '/wp-content/uploads',
    'timezone_string' => 'Asia/Ho_Chi_Minh',
    'gmt_offset' => '',
    'blog_public' => '0',
];
foreach ($options as $name => $value) {
    if ((string) get_option($name) !== $value) {
        update_option($name, $value);
    }
}
global $wp_rewrite;
if (get_option('permalink_structure') !== '/%postname%/') {
    $wp_rewrite->set_permalink_structure('/%postname%/');
    flush_rewrite_rules(false);
}

$user = get_user_by('login', getenv('BANTIN_WP_USER'));
if (!$user) {
    fwrite(STDERR, "user " . getenv('BANTIN_WP_USER') . " does not exist\n");
    exit(1);
}
if (!wp_is_application_passwords_available_for_user($user)) {
    fwrite(STDERR, "application passwords are not available (WP_ENVIRONMENT_TYPE?)\n");
    exit(1);
}
$name = getenv('BANTIN_WP_APP_PASSWORD_NAME');
$existing = preg_replace('/[^a-z\d]/i', '', (string) getenv('BANTIN_WP_APP_PASSWORD'));
if ($existing !== '') {
    foreach (WP_Application_Passwords::get_user_application_passwords($user->ID) as $item) {
        if ($item['name'] === $name && wp_check_password($existing, $item['password'], $user->ID)) {
            echo $existing, "\n";
            exit(0);
        }
    }
}
foreach (WP_Application_Passwords::get_user_application_passwords($user->ID) as $item) {
    if ($item['name'] === $name) {
        WP_Application_Passwords::delete_application_password($user->ID, $item['uuid']);
    }
}
$created = WP_Application_Passwords::create_new_application_password($user->ID, ['name' => $name]);
if (is_wp_error($created)) {
    fwrite(STDERR, $created->get_error_message() . "\n");
    exit(1);
}
echo $created[0], "\n";
PHP
  mv "$DIR/setup.php.tmp" "$DIR/setup.php"
}

PHP_INI_ARGS=()
set_php_ini_args() {
  PHP_INI_ARGS=(
    -d upload_max_filesize=8M
    -d post_max_size=9M
    -d memory_limit=256M
    -d max_execution_time=120
    -d display_errors=stderr
    -d log_errors=1
    -d "error_log=$DIR/logs/php-errors.log"
    -d error_reporting='E_ALL & ~E_DEPRECATED & ~E_STRICT'
  )
}

run_setup_php() {
  env WORDPRESS_CONFIG="$INSTANCE" WP_ENVIRONMENT_TYPE=local \
    BANTIN_WP_PORT="$PORT" BANTIN_WP_TITLE="$SITE_TITLE" BANTIN_WP_USER="$WP_ADMIN_USER" \
    BANTIN_WP_ADMIN_PASSWORD="$ADMIN_PASSWORD" BANTIN_WP_UPLOADS="$DIR/uploads" \
    BANTIN_WP_APP_PASSWORD_NAME="$APP_PASSWORD_NAME" \
    BANTIN_WP_APP_PASSWORD="${EXISTING_APP_PASSWORD:-}" \
    php "${PHP_INI_ARGS[@]}" "$DIR/setup.php" "$@" </dev/null 9>&-
}

start_mariadb() {
  if pid_alive "$DB_PIDFILE" mariadbd; then
    return 0
  fi
  mkdir -p "$(dirname "$SOCKET")"
  if [[ ! -d "$DATADIR/mysql" ]]; then
    log "initialising MariaDB datadir $DATADIR"
    rm -rf "$DATADIR"
    mkdir -p "$DATADIR"
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$DATADIR" \
      --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
      </dev/null >>"$DIR/logs/mariadb-install.log" 2>&1 9>&- \
      || { tail -n 25 "$DIR/logs/mariadb-install.log" >&2; fail "mariadb-install-db failed"; }
  fi
  rm -f "$DB_PIDFILE"
  log "starting mariadbd (socket $SOCKET)"
  setsid mariadbd --no-defaults --user="$(id -un)" --datadir="$DATADIR" \
    --socket="$SOCKET" --pid-file="$DB_PIDFILE" --log-error="$DIR/logs/mariadb.log" \
    --skip-networking --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
    </dev/null >>"$DIR/logs/mariadb.log" 2>&1 9>&- &
  local launcher=$! deadline=$((SECONDS + READY_TIMEOUT))
  until mysql_root -e 'SELECT 1' >/dev/null 2>&1; do
    if ! proc_alive "$launcher" && ! pid_alive "$DB_PIDFILE" mariadbd; then
      die "mariadbd exited during start-up"
    fi
    [[ $SECONDS -lt $deadline ]] || die "mariadbd not answering on $SOCKET after ${READY_TIMEOUT}s"
    sleep 0.2
  done
}

ensure_database() {
  mysql_root <<SQL
CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'wordpress'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER 'wordpress'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'localhost';
SQL
}

# Prints the HTTP status of GET /wp-json/ if it came from this instance, else 000.
probe() {
  local headers code
  headers="$(curl -s -o /dev/null -D - --max-time 10 "$URL/wp-json/" 2>/dev/null || true)"
  code="$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' <<<"$headers")"
  if grep -qi "^X-Bantin-WP-Instance: $INSTANCE" <<<"$headers"; then
    echo "${code:-000}"
  else
    echo 000
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

# Live processes of the PHP server's process group: the server was started with setsid,
# so its pid is also the group id, and its workers stay in the group even if the parent
# dies (kill -9), still holding the port.
php_group_members() {
  local pgid p
  [[ -s "$PHP_PIDFILE" ]] || return 0
  pgid="$(read_pid "$PHP_PIDFILE")"
  [[ -n "$pgid" ]] || return 0
  for p in $(pgrep -g "$pgid" 2>/dev/null || true); do
    if proc_alive "$p" && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$PHP_PATTERN"; then
      echo "$p"
    fi
  done
}

stop_php() {
  local pgid i members
  members="$(php_group_members)"
  if [[ -z "$members" ]]; then
    rm -f "$PHP_PIDFILE" "$PORT_FILE"
    return 0
  fi
  pgid="$(read_pid "$PHP_PIDFILE")"
  if [[ "$pgid" == "$(ps -o pgid= -p $$ | tr -d ' ')" ]]; then
    fail "refusing to signal our own process group ($pgid)"
  fi
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    [[ -n "$(php_group_members)" ]] || break
    sleep 0.1
  done
  if [[ -n "$(php_group_members)" ]]; then
    kill -KILL -- "-$pgid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$PHP_PIDFILE" "$PORT_FILE"
  log "PHP server stopped"
}

start_php() {
  if pid_alive "$PHP_PIDFILE" "$PHP_PATTERN" \
    && [[ "$(cat "$PORT_FILE" 2>/dev/null || true)" == "$PORT" && "$(probe)" == 200 ]]; then
    return 0
  fi
  stop_php
  if port_in_use; then
    fail "port $PORT on 127.0.0.1 is already in use by another process (try --port)"
  fi
  log "starting PHP server on $URL"
  (
    cd "$DIR"
    export WORDPRESS_CONFIG="$INSTANCE" WP_ENVIRONMENT_TYPE=local PHP_CLI_SERVER_WORKERS=4
    exec setsid php "${PHP_INI_ARGS[@]}" -S "127.0.0.1:$PORT" -t "$WP_ROOT" "$DIR/router.php" \
      </dev/null >>"$DIR/logs/php-server.log" 2>&1 9>&-
  ) &
  echo $! >"$PHP_PIDFILE"
  echo "$PORT" >"$PORT_FILE"
  local deadline=$((SECONDS + READY_TIMEOUT)) code
  while :; do
    code="$(probe)"
    [[ "$code" != 200 ]] || break
    pid_alive "$PHP_PIDFILE" "$PHP_PATTERN" || die "PHP server exited during start-up (port $PORT)"
    [[ $SECONDS -lt $deadline ]] \
      || die "GET $URL/wp-json/ did not answer 200 within ${READY_TIMEOUT}s (last: $code)"
    sleep 0.2
  done
}

write_env() {
  (
    umask 077
    printf 'WP_URL=%s\nWP_USER=%s\nWP_APP_PASSWORD=%s\n' "$URL" "$WP_ADMIN_USER" "$1" \
      >"$ENV_FILE.tmp"
    chmod 600 "$ENV_FILE.tmp"
    mv "$ENV_FILE.tmp" "$ENV_FILE"
  )
}

cmd_up() {
  require_root
  cmd_install
  parse_args "$@"
  mkdir -p "$DIR/run" "$DIR/logs" "$DIR/uploads"
  lock_instance
  # Leftover workers of a server whose parent died still hold the port.
  pid_alive "$PHP_PIDFILE" "$PHP_PATTERN" || stop_php
  # Fail fast, before touching anything, if the port belongs to someone else.
  if ! { pid_alive "$PHP_PIDFILE" "$PHP_PATTERN" \
    && [[ "$(cat "$PORT_FILE" 2>/dev/null || true)" == "$PORT" ]]; } && port_in_use; then
    fail "port $PORT on 127.0.0.1 is already in use by another process (try --port)"
  fi
  load_state
  set_php_ini_args
  write_config
  write_router
  write_setup_php
  start_mariadb
  ensure_database
  run_setup_php install >&2
  EXISTING_APP_PASSWORD=""
  if [[ -s "$ENV_FILE" ]]; then
    EXISTING_APP_PASSWORD="$(sed -n 's/^WP_APP_PASSWORD=//p' "$ENV_FILE")"
  fi
  local app_password
  app_password="$(run_setup_php configure | tail -n 1)"
  [[ "$app_password" =~ ^[A-Za-z0-9]{24}$ ]] || die "could not get an application password"
  start_php
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    -u "$WP_ADMIN_USER:$app_password" "$URL/wp-json/wp/v2/users/me" || true)"
  [[ "$code" == 200 ]] || die "application password rejected by $URL (HTTP $code)"
  write_env "$app_password"
  log "WordPress up at $URL (dir $DIR, env $ENV_FILE)"
  cat "$ENV_FILE"
}

cmd_down() {
  require_root
  parse_args "$@"
  [[ -d "$DIR/run" ]] || { log "nothing to stop in $DIR"; return 0; }
  mkdir -p "$DIR/logs"
  lock_instance
  stop_php
  if pid_alive "$DB_PIDFILE" mariadbd; then
    local pid i
    pid="$(read_pid "$DB_PIDFILE")"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do
      pid_alive "$DB_PIDFILE" mariadbd || break
      sleep 0.1
    done
    if pid_alive "$DB_PIDFILE" mariadbd; then
      log "mariadbd did not stop within 60 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "mariadbd stopped"
  fi
  rm -f "$DB_PIDFILE"
}

cmd_status() {
  parse_args "$@"
  local db=stopped php=stopped http=-
  pid_alive "$DB_PIDFILE" mariadbd && db="running (pid $(read_pid "$DB_PIDFILE"))"
  if pid_alive "$PHP_PIDFILE" "$PHP_PATTERN"; then
    PORT="$(cat "$PORT_FILE" 2>/dev/null || echo "$PORT")"
    URL="http://127.0.0.1:$PORT"
    php="running (pid $(read_pid "$PHP_PIDFILE"), $URL)"
    http="$(probe)"
  elif [[ -n "$(php_group_members)" ]]; then
    php="parent gone, orphaned workers left: $(php_group_members | tr '\n' ' ')(run up or down)"
  fi
  printf 'dir:       %s\ninstance:  %s\nmariadbd:  %s\nphp:       %s\nwp-json:   %s\n' \
    "$DIR" "$INSTANCE" "$db" "$php" "$http"
  if [[ "$db" == stopped* && "$php" == stopped* ]]; then
    return 3
  elif [[ "$db" == running* && "$http" == 200 ]]; then
    return 0
  fi
  return 1
}

cmd_destroy() {
  cmd_down "$@"
  if [[ -e "$DIR" ]] && ! [[ -f "$DIR/state" && -f "$DIR/router.php" ]]; then
    fail "$DIR does not look like a wordpress.sh instance; not deleting it"
  fi
  rm -f "$CONFIG_FILE"
  [[ "$SOCKET" != /run/bantin-wp/* ]] || rm -f "$SOCKET"
  rm -rf "$DIR"
  log "removed $DIR and $CONFIG_FILE"
}

main() {
  local cmd="${1:-}"
  [[ $# -eq 0 ]] || shift
  case "$cmd" in
    install) cmd_install ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" || exit $? ;;
    destroy) cmd_destroy "$@" ;;
    *) usage ;;
  esac
}

main "$@"
