// fork + exec with only async-signal-safe calls between them (the parent has many threads).
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static void close_from(int lowest) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0) return;
#endif
    struct rlimit limit;
    long top = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && (long)limit.rlim_cur < top) {
        top = (long)limit.rlim_cur;
    }
    for (long fd = lowest; fd < top; fd++) close((int)fd);
}

/// Moves `fd` to `target` in the child (dup2 clears close-on-exec; a descriptor already in
/// place gets it cleared by hand).
static int place(int fd, int target) {
    if (fd == target) {
        int flags = fcntl(fd, F_GETFD);
        return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(fd, target) < 0 ? -1 : 0;
}

pid_t qkdspec_spawn(const char *path, char *const argv[], char *const envp[],
                    int stdin_fd, int stdout_fd, int stderr_fd) {
    // exec's errno comes back through this pipe; a successful exec closes it (O_CLOEXEC).
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        int e = 0;
        setpgid(0, 0);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
#endif
        struct sigaction action;
        for (int s = 1; s < NSIG; s++) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            action = (struct sigaction){0};
            action.sa_handler = SIG_DFL;
            sigemptyset(&action.sa_mask);
            sigaction(s, &action, NULL);  // fails harmlessly for the numbers the C library reserves
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        // The three descriptors may be any numbers, 0..2 among them: move them above 2 first.
        int in = fcntl(stdin_fd, F_DUPFD_CLOEXEC, 3), out = fcntl(stdout_fd, F_DUPFD_CLOEXEC, 3),
            err = fcntl(stderr_fd, F_DUPFD_CLOEXEC, 3);
        if (in < 0 || out < 0 || err < 0 || place(in, 0) || place(out, 1) || place(err, 2)) {
            e = errno;
        } else {
            // The report pipe goes to descriptor 3 (close-on-exec); everything above it is closed.
            int keep = fcntl(report[1], F_DUPFD_CLOEXEC, 3);
            if (keep < 3 || dup2(keep, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
                e = errno;
            } else {
                close_from(4);
                execve(path, argv, envp);
                e = errno;
            }
            if (e != 0) { (void)write(3, &e, sizeof e); _exit(127); }
        }
        (void)write(report[1], &e, sizeof e);
        _exit(127);
    }
    setpgid(pid, pid);  // also from the parent, so the group exists before anyone signals it
    close(report[1]);
    int childErrno = 0;
    ssize_t n;
    do { n = read(report[0], &childErrno, sizeof childErrno); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof childErrno) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        errno = childErrno;
        return -1;
    }
    return pid;
}

int qkdspec_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
