/* texrender's zygote shim: TeX loads its format once, then forks a child per job.
 *
 * Preloaded (LD_PRELOAD) into pdfTeX or XeTeX, started by rendering/typesetting/_zygote.py with
 * TEXRENDER_ZYGOTE_FD=<n> naming a control socket. Without that variable it does nothing.
 *
 * The hook: the first call of time() after the format file was opened. In TeX's main body
 * (tex.web section 1337) the format is loaded and closed, then fix_date_and_time reads the
 * clock, then the first line (the main file's name) is \input and the log opened. So at that
 * call the format is in memory, and nothing of the job has been read or written: not the
 * clock (the child reads it itself, so \time, \today and the log's date are the job's own),
 * not the main file, not the log. Before the format, TeX has read texmf.cnf and the ls-R
 * databases and looked at ./doc.tex for a "%&" first line (there is none in the zygote's
 * empty directory; a template's first line is never one). What TeX set up before the hook and
 * the children share: the start time of \pdfelapsedtime and the random seed (the same for every
 * child of one zygote; a fresh process takes them from the clock).
 *
 * Protocol on the control socket (a SOCK_SEQPACKET socket pair: one message a request or a
 * reply, never split or merged):
 *   request 'J': u8 'J', 3 pad, u32 job, u32 cpu seconds, then NUL-terminated NAME=VALUE
 *                strings, the variables the child sets; with it (SCM_RIGHTS) a descriptor of
 *                the work directory, which the child enters with fchdir: like a fresh TeX,
 *                whose parent enters the directory before dropping to TeX's user, the child
 *                needs no search permission on the directories above it.
 *   request 'K': u8 'K', 3 pad, u32 job (unused), i32 pid: SIGKILL that child's process group
 *                (safe against pid reuse: the child is ours and not reaped yet, or was
 *                reported as exited already, and then this is ignored).
 *   reply 'R':   u8 'R', 3 pad, u32 0, i32 the zygote's pid, then zeros: the format is loaded.
 *   reply 'S':   u8 'S', 3 pad, u32 job, i32 pid (or -errno if fork failed), pad, 2 x i64 0
 *   reply 'X':   u8 'X', 3 pad, u32 job, i32 pid, i32 wait status, i64 user us, i64 system us
 *                (the child's CPU with its own children's, from wait4).
 * The zygote never reads or writes anything but this socket. When the socket closes (the
 * server is gone) it kills every child's group, reaps them and exits.
 *
 * The child: own process group, control descriptors closed, signal mask restored, CPU limit
 * set (counted from the fork; the other limits are the zygote's, set by the sandbox that
 * started it), chdir into the work directory, its variables set, LD_PRELOAD and
 * TEXRENDER_ZYGOTE_FD removed; then time() returns and TeX goes on as if started there.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 256
#define MAX_MESSAGE 8192

struct reply {
    uint8_t kind;
    uint8_t pad[3];
    uint32_t job;
    int32_t pid;
    int32_t status;
    int64_t user_us;
    int64_t system_us;
};

struct child {
    pid_t pid;
    uint32_t job;
};

static int format_opened = 0;
static int forked = 0;

static void send_reply(int fd, char kind, uint32_t job, pid_t pid, int status,
                       const struct rusage *usage) {
    struct reply r;
    memset(&r, 0, sizeof r);
    r.kind = (uint8_t)kind;
    r.job = job;
    r.pid = pid;
    r.status = status;
    if (usage) {
        r.user_us = (int64_t)usage->ru_utime.tv_sec * 1000000 + usage->ru_utime.tv_usec;
        r.system_us = (int64_t)usage->ru_stime.tv_sec * 1000000 + usage->ru_stime.tv_usec;
    }
    while (send(fd, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

/* In the child: become the job. Returns only on success (else _exit). */
static void become_job(int control, int sigfd, const sigset_t *old_mask, char *message,
                       size_t length, int workdir) {
    close(control);
    close(sigfd);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    if (setpgid(0, 0) != 0) _exit(125);
    uint32_t cpu;
    memcpy(&cpu, message + 8, 4);
    struct rlimit limit = {cpu, (rlim_t)cpu + 1};
    if (setrlimit(RLIMIT_CPU, &limit) != 0) _exit(125);
    if (fchdir(workdir) != 0) _exit(125);
    close(workdir);
    char *end = message + length;
    char *next;
    for (char *field = message + 12; field < end && *field; field = next) {
        next = field + strlen(field) + 1;
        char *eq = strchr(field, '=');
        if (!eq) _exit(125);
        *eq = 0;
        if (setenv(field, eq + 1, 1) != 0) _exit(125);
    }
    unsetenv("TEXRENDER_ZYGOTE_FD");
    unsetenv("LD_PRELOAD");
}

static void kill_all(struct child *children) {
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i].pid > 0) kill(-children[i].pid, SIGKILL);
}

static void reap(int control, struct child *children) {
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        /* Look without reaping: the group of the exited child is killed while its pid (and so
           its group id) still cannot be reused, then it is reaped. */
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0)
            return;
        pid_t pid = info.si_pid;
        kill(-pid, SIGKILL);
        int status = 0;
        struct rusage usage;
        if (wait4(pid, &status, 0, &usage) != pid) return;
        uint32_t job = 0;
        for (int i = 0; i < MAX_CHILDREN; i++)
            if (children[i].pid == pid) {
                job = children[i].job;
                children[i].pid = 0;
            }
        send_reply(control, 'X', job, pid, status, &usage);
    }
}

/* One message, and the descriptor sent with it (else -1). */
static ssize_t receive(int control, char *message, int *workdir) {
    struct iovec part = {message, MAX_MESSAGE};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control_data;
    struct msghdr header;
    memset(&header, 0, sizeof header);
    header.msg_iov = &part;
    header.msg_iovlen = 1;
    header.msg_control = control_data.buffer;
    header.msg_controllen = sizeof control_data.buffer;
    ssize_t got = recvmsg(control, &header, MSG_CMSG_CLOEXEC);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&header); got >= 0 && c; c = CMSG_NXTHDR(&header, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(workdir, CMSG_DATA(c), sizeof(int));
    return got;
}

/* The zygote's loop. Returns in a child only. */
static void serve(int control) {
    struct child children[MAX_CHILDREN];
    memset(children, 0, sizeof children);
    sigset_t chld, old_mask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old_mask);
    int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0) _exit(124);
    send_reply(control, 'R', 0, getpid(), 0, NULL);
    static char message[MAX_MESSAGE + 1];
    for (;;) {
        struct pollfd fds[2] = {{control, POLLIN, 0}, {sigfd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            _exit(124);
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(sigfd, &info, sizeof info) > 0) {
            }
            reap(control, children);
        }
        if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        int workdir = -1;
        ssize_t got = receive(control, message, &workdir);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) { /* the server is gone: nothing outlives it */
            kill_all(children);
            while (wait(NULL) > 0) {
            }
            _exit(0);
        }
        message[got] = 0;
        uint32_t job = 0;
        if (got >= 12) memcpy(&job, message + 4, 4);
        if (message[0] == 'K' && got >= 12) {
            int32_t pid;
            memcpy(&pid, message + 8, 4);
            for (int i = 0; i < MAX_CHILDREN; i++)
                if (pid > 0 && children[i].pid == pid) kill(-pid, SIGKILL);
            if (workdir >= 0) close(workdir);
            continue;
        }
        if (message[0] != 'J' || got < 12 || workdir < 0) {
            if (workdir >= 0) close(workdir);
            if (message[0] == 'J') send_reply(control, 'S', job, -EINVAL, 0, NULL);
            continue;
        }
        int slot = -1;
        for (int i = 0; i < MAX_CHILDREN && slot < 0; i++)
            if (children[i].pid == 0) slot = i;
        if (slot < 0) {
            close(workdir);
            send_reply(control, 'S', job, -EAGAIN, 0, NULL);
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            become_job(control, sigfd, &old_mask, message, (size_t)got, workdir);
            return;
        }
        int fork_error = errno;
        /* The child's own group, set from this side too (as shells do): a kill of the group
           that comes before the child has run its setpgid still finds it. */
        if (pid > 0) setpgid(pid, pid);
        close(workdir);
        /* Nothing of one job's request stays in memory the next job's child inherits. */
        memset(message, 0, (size_t)got);
        if (pid < 0) {
            send_reply(control, 'S', job, -fork_error, 0, NULL);
            continue;
        }
        children[slot].pid = pid;
        children[slot].job = job;
        send_reply(control, 'S', job, pid, 0, NULL);
    }
}

static void maybe_serve(void) {
    if (forked || !format_opened) return;
    forked = 1;
    const char *fd = getenv("TEXRENDER_ZYGOTE_FD");
    if (!fd) return;
    serve(atoi(fd));
}

static int is_format(const char *path) {
    size_t n = path ? strlen(path) : 0;
    return n > 4 && strcmp(path + n - 4, ".fmt") == 0;
}

typedef FILE *(*fopen_t)(const char *, const char *);

static FILE *open_and_note(const char *path, const char *mode, const char *symbol) {
    fopen_t real = (fopen_t)dlsym(RTLD_NEXT, symbol);
    if (!forked && is_format(path)) format_opened = 1;
    return real(path, mode);
}

FILE *fopen(const char *path, const char *mode) { return open_and_note(path, mode, "fopen"); }
FILE *fopen64(const char *path, const char *mode) {
    return open_and_note(path, mode, "fopen64");
}

typedef time_t (*time_t_fn)(time_t *);

time_t time(time_t *out) {
    maybe_serve();
    return ((time_t_fn)dlsym(RTLD_NEXT, "time"))(out);
}
