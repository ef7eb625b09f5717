/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "lxcfs/log.h"
#include "notify.h"

#define PROBE_INTERVAL_USEC (5 * 1000ULL)
#define SLOW_START_USEC     (10 * 1000 * 1000ULL)
#define STOP_JOIN_SEC       2

/* One prober per daemon: it waits for the mount to answer, says READY=1,
 * then (with WatchdogSec=) keeps proving the request loop still answers. */
static struct {
        pthread_t thread;
        bool running;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        bool stop;                 /* under lock */
        char mountpoint[PATH_MAX];
        char path[PATH_MAX];       /* a file of our own mount */
        char status[512];
} prober = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
};

/* Opening and reading a file of our own mount goes through the kernel to a
 * worker of the request loop: it only succeeds once the FUSE handshake is
 * done and only while the loop answers. */
static int mount_answers(void)
{
        _cleanup_close_ int fd = open(prober.path, O_RDONLY | O_CLOEXEC);
        char buf[64];
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return -errno;
        return n > 0 ? 0 : -ENODATA;
}

/* Sleeps usec unless notify_stopping() wakes us; returns true to go on. */
static bool wait_or_stop(uint64_t usec)
{
        struct timespec until;
        bool stop;

        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += usec / 1000000;
        until.tv_nsec += (long) (usec % 1000000) * 1000;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }

        pthread_mutex_lock(&prober.lock);
        while (!prober.stop &&
               pthread_cond_timedwait(&prober.wake, &prober.lock, &until) != ETIMEDOUT)
                ;
        stop = prober.stop;
        pthread_mutex_unlock(&prober.lock);
        return !stop;
}

static bool wait_until_serving(void)
{
        bool warned = false;
        uint64_t waited = 0;

        for (;;) {
                if (mount_answers() == 0)
                        return true;
                if (!warned && waited >= SLOW_START_USEC) {
                        log_warning("The mount at %s does not answer after 10 s; still waiting "
                                    "before telling the service manager we are ready.", prober.path);
                        warned = true;
                }
                if (!wait_or_stop(PROBE_INTERVAL_USEC))
                        return false;
                waited += PROBE_INTERVAL_USEC;
        }
}

/* WATCHDOG=1 is sent only after a file of the mount answered, so a wedged
 * request loop stops the pings even though this thread is alive. */
static void watchdog_loop(uint64_t watchdog_usec)
{
        bool failing = false;
        int r;

        while (wait_or_stop(watchdog_usec / 2)) {
                r = mount_answers();
                if (r == 0) {
                        if (failing)
                                log_notice("The mount at %s answers again; watchdog pings resumed.",
                                           prober.path);
                        failing = false;
                        sd_notify(0, "WATCHDOG=1");
                } else if (!failing) {
                        log_error_errno(r, "The watchdog probe could not read %s: %m; "
                                        "not pinging the service manager.", prober.path);
                        failing = true;
                }
        }
}

static void *prober_main(void *arg)
{
        uint64_t watchdog_usec = 0;

        if (!wait_until_serving())
                return NULL;

        sd_notifyf(0, "READY=1\nSTATUS=%s", prober.status);
        log_info("%s; ready.", prober.status);

        if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
                log_debug("Watchdog enabled: probing %s every %llu ms.", prober.path,
                          (unsigned long long) watchdog_usec / 2000);
                watchdog_loop(watchdog_usec);
        }
        return NULL;
}

static int init_wake_cond(void)
{
        pthread_condattr_t attr;
        int r;

        r = pthread_condattr_init(&attr);
        if (r != 0)
                return -r;
        r = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (r == 0)
                r = pthread_cond_init(&prober.wake, &attr);
        pthread_condattr_destroy(&attr);
        return -r;
}

/* "memory cpu pids", or "none": the controllers we read limits from. */
static void describe_controllers(const struct cg_hierarchies *cg, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (enum cg_controller c = 0; c < _CG_CONTROLLER_MAX && len < size; c++)
                if (cg_has_controller(cg, c))
                        len += snprintf(buf + len, size - len, "%s%s", len ? " " : "",
                                        cg_controller_name(c));
        if (len == 0)
                snprintf(buf, size, "none");
}

int notify_start(const char *mountpoint, const struct cg_hierarchies *cg)
{
        char controllers[128];
        sigset_t all, saved;
        int r;

        describe_controllers(cg, controllers, sizeof(controllers));
        snprintf(prober.path, sizeof(prober.path), "%s/proc/uptime", mountpoint);
        snprintf(prober.status, sizeof(prober.status), "Serving %s (cgroup layout %s, controllers: %s)",
                 mountpoint, cg_layout_name(cg->layout), controllers);
        snprintf(prober.mountpoint, sizeof(prober.mountpoint), "%s", mountpoint);
        prober.stop = false;

        /* Deadlines are monotonic: a clock step must not stall the watchdog. */
        r = init_wake_cond();
        if (r < 0)
                return log_error_errno(r, "Failed to set up the readiness probe: %m");

        /* SIGTERM/SIGINT must reach the thread that runs the request loop:
         * libfuse's handler only wakes the thread it interrupts. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &saved);
        r = pthread_create(&prober.thread, NULL, prober_main, NULL);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (r != 0)
                return log_error_errno(r, "Failed to start the readiness probe thread: %m");
        prober.running = true;
        return 0;
}

void notify_stopping(void)
{
        struct timespec until;

        sd_notifyf(0, "STOPPING=1\nSTATUS=Stopping: unmounting %s", prober.mountpoint);
        if (!prober.running)
                return;

        pthread_mutex_lock(&prober.lock);
        prober.stop = true;
        pthread_cond_signal(&prober.wake);
        pthread_mutex_unlock(&prober.lock);

        /* The prober may be inside a read of our own mount that the stopped
         * loop will never answer; it returns once the session is unmounted.
         * Do not wait for that here. */
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += STOP_JOIN_SEC;
        if (pthread_timedjoin_np(prober.thread, NULL, &until) != 0)
                pthread_detach(prober.thread);
        prober.running = false;
}
