/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing (mlx5tls-inspect(7)): a library thread answers read-only requests on the UNIX
 * socket DIR/PID.sock with one JSON line each.
 *
 * The application must never wait for it: an answer is built in memory, walking the device's
 * lists in steps so that no lock the application takes is held for long, then queued for the
 * client and sent as it reads (non-blocking, a per-client limit); idle clients are closed and a
 * new client replaces the longest idle one when all slots are taken. A slow, stuck or idle
 * client costs the publisher a little memory, never the datapath or the other clients. The
 * thread blocks every signal: the application's handlers keep running on the application's
 * threads.
 *
 * This file is the socket server; the requests and their walks are publish_cmd.c and
 * publish_walk.c, the JSON publish_json.c and publish_obj.c.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "publish_internal.h"

#define MAX_CLIENTS 16        /* connections served at once; a new one replaces the longest idle */
#define OUT_LIMIT (16u << 20) /* answers pending for one client; beyond, it is dropped */
#define IDLE_MS_DEFAULT 30000 /* a client that neither asks nor reads for this long is closed */
#define STOP_JOIN_MS 2000     /* at exit: how long to wait for an answer being built */

bool publish_peer_allowed(uid_t peer, uid_t self)
{
	return peer == self || peer == 0;
}

/* ---- the server ---- */

static struct {
	pthread_mutex_t lock; /* start/stop */
	bool running;
	bool env_done;
	bool atexit_done;
	pid_t pid; /* of the process that started it: a forked child has no thread */
	pthread_t thread;
	int listen_fd;
	int wake[2];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} pub = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1, .wake = { -1, -1 } };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Clients. The thread never blocks on one: sockets are non-blocking, an answer is queued in the
 * client's output and sent as the client reads it (POLLOUT); while output is pending the client's
 * next requests wait in the socket. A client whose pending output would pass OUT_LIMIT, or that
 * neither sends a request nor reads for idle_ms, is closed. When MAX_CLIENTS are connected, a new
 * client takes the place of the one idle the longest (told so if it is listening).
 */
struct client {
	int fd;
	bool discard;      /* skipping the rest of a refused (too long) line */
	bool closing;      /* close once the output is sent (EOF seen) */
	size_t len;
	char buf[REQ_MAX + 3]; /* a line of REQ_MAX, "\r\n", NUL */
	char *out;         /* answers not yet sent: out[out_off, out_len) */
	size_t out_len, out_off;
	int64_t last_active; /* last request or progress in sending */
};

static int idle_ms = IDLE_MS_DEFAULT;

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Send what the socket takes now. 0, or -1 if the client is gone. */
static int client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
			c->last_active = now_ms();
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return 0;
}

/* Queue an answer (taken over) and send what can be sent. -1: the client is to be closed. */
static int client_queue(struct client *c, char *a, size_t len)
{
	size_t pending = c->out_len - c->out_off;
	char *nb;

	if (!a)
		return -1;
	if (pending + len > OUT_LIMIT) {
		pr_debug("publish: a client that does not read its answers is dropped (%zu bytes "
			 "pending)\n", pending + len);
		free(a);
		return -1;
	}
	if (!c->out) {
		c->out = a;
		c->out_len = len;
		c->out_off = 0;
	} else {
		memmove(c->out, c->out + c->out_off, pending);
		nb = realloc(c->out, pending + len);
		if (!nb) {
			free(a);
			return -1;
		}
		memcpy(nb + pending, a, len);
		free(a);
		c->out = nb;
		c->out_len = pending + len;
		c->out_off = 0;
	}
	return client_flush(c);
}

static int answer(struct client *c, const char *line)
{
	size_t len = 0;
	char *a = publish_answer(line, &len);

	return client_queue(c, a, len);
}

static int send_error(struct client *c, const char *text)
{
	size_t len = 0;
	char *a = publish_answer_error(text, &len);

	return client_queue(c, a, len);
}

/* Answer the complete lines received, one at a time: after an answer that could not be sent
 * whole, the rest wait (in buf) until it is. 0 to keep the client, -1 to close it. */
static int client_lines(struct client *c)
{
	char *nl;

	while (!c->out && (nl = memchr(c->buf, '\n', c->len))) {
		size_t used = (size_t)(nl - c->buf) + 1;
		int ret = 0;

		*nl = '\0';
		if (nl > c->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		if (c->discard)
			c->discard = false; /* the end of a line already refused */
		else if (strlen(c->buf) > REQ_MAX)
			ret = send_error(c, "request line longer than 256 bytes");
		else
			ret = answer(c, c->buf);
		if (ret)
			return -1;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		c->buf[c->len] = '\0';
	}
	if (!c->out && c->len >= sizeof(c->buf) - 1) {
		/* no newline within reach: refuse the line now, skip the rest of it as it comes,
		 * and serve the next one - the client need not reconnect */
		if (!c->discard && send_error(c, "request line longer than 256 bytes"))
			return -1;
		c->discard = true;
		c->len = 0;
	}
	return 0;
}

/* Read what the client sent and answer it. 0 to keep the client, -1 to close it. */
static int client_input(struct client *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (n == 0) {
		/* EOF: the lines still held, and a last line without its newline
		 * (printf 'info' | nc -U), are answered */
		c->closing = true;
		if (c->len && !memchr(c->buf, '\n', c->len) && !c->discard &&
		    c->len < sizeof(c->buf) - 2)
			c->buf[c->len++] = '\n';
		c->buf[c->len] = '\0';
		if (client_lines(c))
			return -1;
		return c->out ? 0 : -1;
	}
	c->last_active = now_ms();
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return client_lines(c);
}

/* A slot for a new client: a free one, else the one idle the longest (told why, if it reads). */
static struct client *client_slot(struct client *cl, int *ncl)
{
	int oldest = 0;

	if (*ncl < MAX_CLIENTS)
		return &cl[(*ncl)++];
	for (int i = 1; i < *ncl; i++)
		if (cl[i].last_active < cl[oldest].last_active)
			oldest = i;
	{
		size_t len = 0;
		char *a = publish_answer_error("closed: the longest idle of too many clients",
					       &len);

		if (a)
			(void)send(cl[oldest].fd, a, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(a);
	}
	client_close(&cl[oldest]);
	return &cl[oldest];
}

static void client_accept(struct client *cl, int *ncl)
{
	for (;;) {
		int fd = accept4(pub.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		struct client *c;

		if (fd < 0)
			return; /* EAGAIN: all taken; other errors: next poll round */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
		    !publish_peer_allowed(cred.uid, geteuid())) {
			/* another user that got past the modes (a CAP_DAC_OVERRIDE process) */
			pr_debug("publish: connection refused (peer uid %d)\n",
				 clen == sizeof(cred) ? (int)cred.uid : -1);
			close(fd);
			continue;
		}
		c = client_slot(cl, ncl);
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->last_active = now_ms();
	}
}

/* Close the clients idle for idle_ms; the poll timeout until the next one would be. */
static int clients_expire(struct client *cl, int *ncl)
{
	int64_t now = now_ms(), next = -1;

	for (int i = *ncl - 1; i >= 0; i--) {
		int64_t left = cl[i].last_active + idle_ms - now;

		if (left <= 0) {
			pr_debug("publish: closing a client idle for %d ms\n", idle_ms);
			client_close(&cl[i]);
			cl[i] = cl[--(*ncl)];
			continue;
		}
		if (next < 0 || left < next)
			next = left;
	}
	return next < 0 ? -1 : (int)(next > INT32_MAX ? INT32_MAX : next);
}

static void *publish_thread(void *arg)
{
	struct client *cl = calloc(MAX_CLIENTS, sizeof(*cl));
	struct pollfd pfd[2 + MAX_CLIENTS];
	int ncl = 0;

	(void)arg;
	if (!cl) {
		pr_warn("publish: out of memory, not answering\n");
		return NULL;
	}
	for (;;) {
		int timeout = clients_expire(cl, &ncl);

		pfd[0] = (struct pollfd){ .fd = pub.wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = pub.listen_fd, .events = POLLIN };
		/* a client with output pending is not read: its next requests wait; one that
		 * sent EOF is only waited for to read its answers */
		for (int i = 0; i < ncl; i++)
			pfd[2 + i] = (struct pollfd){ .fd = cl[i].fd,
						      .events = cl[i].out ? POLLOUT
						      : cl[i].closing ? 0 : POLLIN };
		if (poll(pfd, (nfds_t)(2 + ncl), timeout) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("publish: poll failed: %s\n", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		/* downwards: a closed client is replaced by the last one, already served */
		for (int i = ncl - 1; i >= 0; i--) {
			struct client *c = &cl[i];
			int ret = 0;

			if (!pfd[2 + i].revents)
				continue;
			if (c->out) {
				if ((pfd[2 + i].revents & (POLLERR | POLLHUP | POLLNVAL)) &&
				    !(pfd[2 + i].revents & POLLOUT))
					ret = -1;
				else
					ret = client_flush(c);
				if (!ret && !c->out)
					ret = client_lines(c); /* the requests that waited */
			} else {
				ret = client_input(c);
			}
			if (!ret && c->closing && !c->out)
				ret = -1;
			if (ret) {
				client_close(c);
				cl[i] = cl[--ncl];
			}
		}
		if (pfd[1].revents & POLLIN)
			client_accept(cl, &ncl);
	}
	for (int i = 0; i < ncl; i++)
		client_close(&cl[i]);
	free(cl);
	return NULL;
}

/* ---- the directory and the socket ---- */

static int runtime_dir(const struct mlx5tls_publish_opts *opts, char *dir, size_t len)
{
	const char *d = OPTS_GET(opts, dir, NULL);
	int n;

	if (!d || !*d)
		d = getenv("MLX5TLS_RUNTIME_DIR");
	if (d && *d) {
		n = snprintf(dir, len, "%s", d);
	} else {
		d = getenv("XDG_RUNTIME_DIR");
		if (d && *d)
			n = snprintf(dir, len, "%s/mlx5tls", d);
		else
			n = snprintf(dir, len, "/tmp/mlx5tls-%u", (unsigned int)geteuid());
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Create dir 0700 if missing; refuse one not owned by the user or not exactly 0700. */
static int dir_check(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		int err = -errno;

		pr_warn("publish: cannot create %s: %s\n", dir, strerror(-err));
		return err;
	}
	/* lstat: a symlink planted in /tmp must not redirect us */
	if (lstat(dir, &st)) {
		int err = -errno;

		pr_warn("publish: %s: %s\n", dir, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		pr_warn("publish: %s is not a directory\n", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid()) {
		/* e.g. another user pre-created /tmp/mlx5tls-UID: it could watch or replace the
		 * socket; set XDG_RUNTIME_DIR or MLX5TLS_RUNTIME_DIR to a directory of one's own */
		pr_warn("publish: refusing %s: owned by uid %u, not by uid %u (remove it, or set "
			"MLX5TLS_RUNTIME_DIR)\n", dir, (unsigned int)st.st_uid,
			(unsigned int)geteuid());
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 0700) {
		pr_warn("publish: refusing %s: mode %04o, not 0700 (others could list or reach the "
			"sockets in it)\n", dir, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* "PID.sock" -> PID, else 0. */
static pid_t sock_pid(const char *name)
{
	char *end = NULL;
	long v;

	if (*name < '1' || *name > '9')
		return 0;
	v = strtol(name, &end, 10);
	if (strcmp(end, ".sock") || v <= 0 || v > INT32_MAX)
		return 0;
	return (pid_t)v;
}

/* Our own sockets of processes that are gone (and one of our pid, from a process that had it
 * before us); a live process of the user keeps its socket. */
static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = sock_pid(de->d_name);
		struct stat st;

		if (!pid)
			continue;
		if (pid != getpid() && (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			pr_debug("publish: removed stale socket %s/%s\n", dir, de->d_name);
	}
	closedir(d);
}

static int listen_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err;
	/* bind made it 0777 & ~umask; nobody else can reach it meanwhile: the directory is 0700 */
	if (chmod(path, 0600) || listen(fd, MAX_CLIENTS)) {
		err = -errno;
		unlink(path);
		close(fd);
		return err;
	}
	return fd;
err:
	err = -errno;
	close(fd);
	return err;
}

static void close_fds(void)
{
	if (pub.listen_fd >= 0)
		close(pub.listen_fd);
	for (int i = 0; i < 2; i++)
		if (pub.wake[i] >= 0)
			close(pub.wake[i]);
	pub.listen_fd = -1;
	pub.wake[0] = pub.wake[1] = -1;
}

/* Stop with pub.lock held; join_ms < 0 waits as long as the thread needs. */
static void stop_locked(int join_ms)
{
	bool joined = true;

	if (!pub.running)
		return;
	pub.running = false;
	if (pub.pid != getpid()) {
		/* a forked child: the thread and the socket are the parent's */
		close_fds();
		return;
	}
	if (write(pub.wake[1], "x", 1) < 0)
		pr_debug("publish: wake-up write failed: %s\n", strerror(errno));
	if (join_ms < 0) {
		pthread_join(pub.thread, NULL);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += join_ms / 1000;
		ts.tv_nsec += (long)(join_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		joined = pthread_timedjoin_np(pub.thread, NULL, &ts) == 0;
	}
	unlink(pub.path);
	/* a thread still building an answer at exit keeps its descriptors; exit closes them */
	if (joined)
		close_fds();
	pr_debug("publish: stopped, %s removed\n", pub.path);
}

static void publish_atexit(void)
{
	pthread_mutex_lock(&pub.lock);
	stop_locked(STOP_JOIN_MS);
	pthread_mutex_unlock(&pub.lock);
}

static int start_locked(const struct mlx5tls_publish_opts *opts)
{
	char dir[sizeof(pub.path)];
	sigset_t all, old;
	int ret, n;

	if (pub.running && pub.pid == getpid())
		return -EALREADY;
	if (pub.running)
		stop_locked(0); /* inherited from the parent by fork: start afresh */
	ret = runtime_dir(opts, dir, sizeof(dir));
	if (ret)
		return ret;
	n = snprintf(pub.path, sizeof(pub.path), "%s/%d.sock", dir, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(pub.path)) {
		pr_warn("publish: socket path in %s is too long for a UNIX socket\n", dir);
		return -ENAMETOOLONG;
	}
	ret = dir_check(dir);
	if (ret)
		return ret;
	remove_stale(dir);
	{
		/* how long an idle client is kept (mlx5tls-inspect(7)) */
		const char *e = getenv("MLX5TLS_PUBLISH_IDLE_MS");
		long v = e ? strtol(e, NULL, 10) : 0;

		idle_ms = v > 0 && v <= INT32_MAX ? (int)v : IDLE_MS_DEFAULT;
	}
	if (pipe2(pub.wake, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	pub.listen_fd = listen_socket(pub.path);
	if (pub.listen_fd < 0) {
		ret = pub.listen_fd;
		pub.listen_fd = -1;
		pr_warn("publish: cannot listen on %s: %s\n", pub.path, strerror(-ret));
		close_fds();
		return ret;
	}
	/* the thread inherits this mask: no signal is ever delivered to it */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&pub.thread, NULL, publish_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		unlink(pub.path);
		close_fds();
		return ret;
	}
	pthread_setname_np(pub.thread, "mlx5tls-publish");
	pub.running = true;
	pub.pid = getpid();
	if (!pub.atexit_done && atexit(publish_atexit) == 0)
		pub.atexit_done = true;
	pr_info("publishing on %s\n", pub.path);
	return 0;
}

int mlx5tls_publish_start(const struct mlx5tls_publish_opts *opts)
{
	int ret;

	if (!OPTS_VALID(opts, mlx5tls_publish_opts))
		return libmlx5tls_err(-EINVAL);
	pthread_mutex_lock(&pub.lock);
	ret = start_locked(opts);
	pthread_mutex_unlock(&pub.lock);
	return libmlx5tls_err(ret);
}

int mlx5tls_publish_stop(void)
{
	pthread_mutex_lock(&pub.lock);
	stop_locked(-1);
	pthread_mutex_unlock(&pub.lock);
	return 0;
}

void publish_env_check(void)
{
	const char *v = getenv("MLX5TLS_PUBLISH");
	bool first;
	int ret;

	if (!v || !*v || !strcmp(v, "0"))
		return;
	pthread_mutex_lock(&pub.lock);
	first = !pub.env_done;
	pub.env_done = true;
	ret = first ? start_locked(NULL) : 0;
	pthread_mutex_unlock(&pub.lock);
	if (ret && ret != -EALREADY)
		pr_warn("MLX5TLS_PUBLISH: cannot publish: %s\n", strerror(-ret));
}
