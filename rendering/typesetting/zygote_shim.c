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
 *   request 'J': u8 'J', 3 pad, u32 job, u32 cpu seconds, u32 most log bytes, then
 *                NUL-terminated strings: the work directory's name, the job's name, then
 *                NAME=VALUE, the variables the child sets; with it (SCM_RIGHTS) three
 *                descriptors: the jobs' directory, a memfd holding the job's source, and an
 *                empty memfd for its results.
 *   request 'K': u8 'K', 3 pad, u32 job (unused), i32 pid: SIGKILL that child's process group
 *                (safe against pid reuse: the child is ours and not reaped yet, or was
 *                reported as exited already, and then this is ignored).
 *   reply 'R':   u8 'R', 3 pad, u32 0, i32 the zygote's pid, then zeros: the format is loaded.
 *   reply 'S':   u8 'S', 3 pad, u32 job, i32 pid (or -errno if fork failed), pad, 2 x i64 0
 *   reply 'X':   u8 'X', 3 pad, u32 job, i32 pid, i32 wait status, i64 user us, i64 system us
 *                (the child's CPU with its own children's, from wait4).
 * The zygote itself never reads or writes anything but this socket. When the socket closes
 * (the server is gone) it kills every child's group, reaps them and exits.
 *
 * The child: own process group, control descriptors closed, signal mask restored, CPU limit
 * set (counted from the fork; the other limits are the zygote's, set by the sandbox that
 * started it). It makes its work directory in the jobs' directory (mode 0700; a name that
 * exists fails the job, so no two jobs ever share one), enters it, writes <job>.tex from the
 * source memfd, sets its variables, removes LD_PRELOAD and TEXRENDER_ZYGOTE_FD; then time()
 * returns and TeX goes on as if started there. When TeX exits (exit(), after a success or an
 * error alike), the child's exit handler copies the head of <job>.log and the whole <job>.pdf
 * into the result memfd, writes the header that says the results are complete, and only then
 * empties and removes its work directory: the server touches no file for a forked render.
 * A child killed (a timeout, a cancel, its CPU limit) leaves its directory to the server.
 *
 * The result memfd: a 32-byte header (8 bytes "TXRDONE1", u64 log bytes, u64 PDF bytes, u64
 * flags: 1 a log was found, 2 a PDF was found), then the log's head, then the PDF.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 256
#define MAX_MESSAGE 8192
#define JOB_FDS 3 /* the jobs' directory, the source, the results */
#define REQUEST_HEAD 16
#define RESULT_HEAD 32
#define MAX_NAME 128

struct reply {
    uint8_t kind;
    uint8_t pad[3];
    uint32_t job;
    int32_t pid;
    int32_t status;
    int64_t user_us;
    int64_t system_us;
};

struct result_head {
    char magic[8];
    uint64_t log_bytes;
    uint64_t pdf_bytes;
    uint64_t flags;
};

struct child {
    pid_t pid;
    uint32_t job;
};

static int format_opened = 0;
static int forked = 0;

/* In a job's child: what its exit handler needs. */
static int jobs_dir = -1;
static int results = -1;
static uint64_t most_log_bytes = 0;
static char dir_name[MAX_NAME];
static char job_log[MAX_NAME + 8];
static char job_pdf[MAX_NAME + 8];

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

/* Copy up to `most` bytes of `in` (from its start) to `out` (at its offset); the bytes
   copied, or -1. */
static int64_t copy_file(int in, int out, uint64_t most) {
    uint64_t done = 0;
    while (done < most) {
        size_t chunk = most - done > (1u << 30) ? (1u << 30) : (size_t)(most - done);
        ssize_t n = sendfile(out, in, NULL, chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        done += (uint64_t)n;
    }
    return (int64_t)done;
}

/* Copy the file `name` of the work directory into the results; its bytes, -1 if it is not
   there (or is not a plain file), -2 on a failure. */
static int64_t deliver_file(const char *name, uint64_t most) {
    int in = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) return errno == ENOENT ? -1 : -2;
    struct stat info;
    int64_t copied = -2;
    if (fstat(in, &info) == 0 && S_ISREG(info.st_mode)) copied = copy_file(in, results, most);
    close(in);
    return copied < 0 ? -2 : copied;
}

/* The work directory emptied (TeX makes plain files only) and removed. */
static void remove_work_dir(void) {
    DIR *dir = opendir(".");
    if (dir) {
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL)
            if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
                unlinkat(dirfd(dir), entry->d_name, 0);
        closedir(dir);
    }
    unlinkat(jobs_dir, dir_name, AT_REMOVEDIR);
}

/* The child's exit handler: the results into their memfd, then the directory removed. Any
   failure leaves the header out and the files in place (the server then reads them). */
static void deliver_results(void) {
    if (results < 0 || getpid() != getpgrp()) return; /* only the job's own process */
    struct result_head head;
    memset(&head, 0, sizeof head);
    if (lseek(results, RESULT_HEAD, SEEK_SET) != RESULT_HEAD) return;
    int64_t log = deliver_file(job_log, most_log_bytes);
    if (log == -2) return;
    int64_t pdf = deliver_file(job_pdf, UINT64_MAX);
    if (pdf == -2) return;
    head.log_bytes = log < 0 ? 0 : (uint64_t)log;
    head.pdf_bytes = pdf < 0 ? 0 : (uint64_t)pdf;
    head.flags = (log >= 0 ? 1u : 0u) | (pdf >= 0 ? 2u : 0u);
    memcpy(head.magic, "TXRDONE1", 8);
    if (pwrite(results, &head, sizeof head, 0) != (ssize_t)sizeof head) return;
    remove_work_dir();
}

/* A name the child may make in the jobs' directory: one path component, not . or .. */
static int plain_name(const char *name) {
    size_t n = strnlen(name, MAX_NAME);
    return n > 0 && n < MAX_NAME && !strchr(name, '/') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

/* In the child: become the job. Returns only on success (else _exit). */
static void become_job(int control, int sigfd, const sigset_t *old_mask, char *message,
                       size_t length, const int *fds) {
    close(control);
    close(sigfd);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    if (setpgid(0, 0) != 0) _exit(125);
    uint32_t cpu, log_bytes;
    memcpy(&cpu, message + 8, 4);
    memcpy(&log_bytes, message + 12, 4);
    struct rlimit limit = {cpu, (rlim_t)cpu + 1};
    if (setrlimit(RLIMIT_CPU, &limit) != 0) _exit(125);
    char *end = message + length;
    char *dir = message + REQUEST_HEAD;
    char *job = dir + strnlen(dir, (size_t)(end - dir)) + 1;
    if (job >= end) _exit(125);
    char *fields = job + strnlen(job, (size_t)(end - job)) + 1;
    if (fields > end || !plain_name(dir) || !plain_name(job)) _exit(125);
    strcpy(dir_name, dir);
    snprintf(job_log, sizeof job_log, "%s.log", job);
    snprintf(job_pdf, sizeof job_pdf, "%s.pdf", job);
    char job_tex[MAX_NAME + 8];
    snprintf(job_tex, sizeof job_tex, "%s.tex", job);
    if (mkdirat(fds[0], dir_name, 0700) != 0) _exit(125);
    int workdir = openat(fds[0], dir_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (workdir < 0 || fchdir(workdir) != 0) _exit(125);
    close(workdir);
    jobs_dir = fds[0];
    struct stat source;
    int tex = open(job_tex, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (tex < 0 || fstat(fds[1], &source) != 0) _exit(125);
    if (lseek(fds[1], 0, SEEK_SET) != 0) _exit(125);
    if (copy_file(fds[1], tex, (uint64_t)source.st_size) != (int64_t)source.st_size) _exit(125);
    close(tex);
    close(fds[1]);
    results = fds[2];
    most_log_bytes = log_bytes;
    if (atexit(deliver_results) != 0) _exit(125);
    char *next;
    for (char *field = fields; field < end && *field; field = next) {
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

static void close_all(int *fds, int count) {
    for (int i = 0; i < count; i++)
        if (fds[i] >= 0) close(fds[i]);
}

/* One message, and the descriptors sent with it (their count in *count, at most JOB_FDS;
   any more are closed). */
static ssize_t receive(int control, char *message, int *fds, int *count) {
    struct iovec part = {message, MAX_MESSAGE};
    union {
        char buffer[CMSG_SPACE(sizeof(int) * (JOB_FDS + 1))];
        struct cmsghdr align;
    } control_data;
    struct msghdr header;
    memset(&header, 0, sizeof header);
    header.msg_iov = &part;
    header.msg_iovlen = 1;
    header.msg_control = control_data.buffer;
    header.msg_controllen = sizeof control_data.buffer;
    *count = 0;
    ssize_t got = recvmsg(control, &header, MSG_CMSG_CLOEXEC);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&header); got >= 0 && c; c = CMSG_NXTHDR(&header, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int received[JOB_FDS + 1];
        if (n > JOB_FDS + 1) n = JOB_FDS + 1;
        memcpy(received, CMSG_DATA(c), sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++) {
            if (*count < JOB_FDS)
                fds[(*count)++] = received[i];
            else
                close(received[i]);
        }
    }
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
        struct pollfd polled[2] = {{control, POLLIN, 0}, {sigfd, POLLIN, 0}};
        if (poll(polled, 2, -1) < 0) {
            if (errno == EINTR) continue;
            _exit(124);
        }
        if (polled[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(sigfd, &info, sizeof info) > 0) {
            }
            reap(control, children);
        }
        if (!(polled[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        int fds[JOB_FDS];
        int count = 0;
        ssize_t got = receive(control, message, fds, &count);
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
            close_all(fds, count);
            continue;
        }
        if (message[0] != 'J' || got <= REQUEST_HEAD || count != JOB_FDS) {
            close_all(fds, count);
            if (message[0] == 'J') send_reply(control, 'S', job, -EINVAL, 0, NULL);
            continue;
        }
        int slot = -1;
        for (int i = 0; i < MAX_CHILDREN && slot < 0; i++)
            if (children[i].pid == 0) slot = i;
        if (slot < 0) {
            close_all(fds, count);
            send_reply(control, 'S', job, -EAGAIN, 0, NULL);
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            become_job(control, sigfd, &old_mask, message, (size_t)got, fds);
            return;
        }
        int fork_error = errno;
        /* The child's own group, set from this side too (as shells do): a kill of the group
           that comes before the child has run its setpgid still finds it. */
        if (pid > 0) setpgid(pid, pid);
        close_all(fds, count);
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
