/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The taskstats generic netlink family, used for one thing: per-cgroup task
 * state counts (CGROUPSTATS_CMD_GET), which cost the kernel one walk of the
 * cgroup's task list instead of costing us one /proc read per thread. */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/cgroupstats.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include "loadavg-internal.h"
#include "lxcfs/macro.h"

/* Large enough for the family description the controller sends back. */
#define NL_BUF_SIZE 8192

struct nl_request {
        struct nlmsghdr n;
        struct genlmsghdr g;
        char attrs[64];
};

static void nl_put_attr(struct nl_request *req, uint16_t type, const void *data, size_t len)
{
        struct nlattr *a = (struct nlattr *) ((char *) req + NLMSG_ALIGN(req->n.nlmsg_len));

        a->nla_type = type;
        a->nla_len = (uint16_t) (NLA_HDRLEN + len);
        memcpy((char *) a + NLA_HDRLEN, data, len);
        req->n.nlmsg_len = NLMSG_ALIGN(req->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void nl_request_init(struct nl_request *req, struct taskstats_conn *c, uint16_t family, uint8_t cmd)
{
        memset(req, 0, sizeof(*req));
        req->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
        req->n.nlmsg_type = family;
        req->n.nlmsg_flags = NLM_F_REQUEST;
        req->n.nlmsg_seq = ++c->seq;
        req->g.cmd = cmd;
        req->g.version = 1;
}

/* Send the request and return the payload (after the genl header) of the
 * reply carrying its sequence number. Replies of an earlier call that gave
 * up are skipped. */
static int nl_transact(struct taskstats_conn *c, struct nl_request *req, char *buf,
                       const struct nlattr **ret_attrs, size_t *ret_len)
{
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

        if (sendto(c->fd, req, req->n.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;

        for (;;) {
                ssize_t n = recv(c->fd, buf, NL_BUF_SIZE, 0);
                struct nlmsghdr *h;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? -ETIMEDOUT : -errno;
                }
                for (h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_seq != req->n.nlmsg_seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                return e->error < 0 ? e->error : -EIO;
                        }
                        if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
                                return -EBADMSG;
                        *ret_attrs = (const struct nlattr *) ((char *) NLMSG_DATA(h) + GENL_HDRLEN);
                        *ret_len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
                        return 0;
                }
        }
}

/* Find attribute `type` in a flat attribute list. */
static const void *nl_find_attr(const struct nlattr *a, size_t len, uint16_t type, size_t *ret_len)
{
        while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
                size_t step = NLA_ALIGN(a->nla_len);

                if ((a->nla_type & NLA_TYPE_MASK) == type) {
                        *ret_len = a->nla_len - NLA_HDRLEN;
                        return (const char *) a + NLA_HDRLEN;
                }
                if (step >= len)
                        break;
                len -= step;
                a = (const struct nlattr *) ((const char *) a + step);
        }
        return NULL;
}

static int resolve_family(struct taskstats_conn *c)
{
        _cleanup_free_ char *buf = malloc(NL_BUF_SIZE);
        struct nl_request req;
        const struct nlattr *attrs;
        const void *id;
        size_t len, id_len;
        int r;

        if (!buf)
                return -ENOMEM;
        nl_request_init(&req, c, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
        nl_put_attr(&req, CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME, sizeof(TASKSTATS_GENL_NAME));
        r = nl_transact(c, &req, buf, &attrs, &len);
        if (r < 0)
                return r; /* -ENOENT: no taskstats in this kernel or netns */
        id = nl_find_attr(attrs, len, CTRL_ATTR_FAMILY_ID, &id_len);
        if (!id || id_len < sizeof(uint16_t))
                return -EBADMSG;
        memcpy(&c->family, id, sizeof(uint16_t));
        return 0;
}

int taskstats_conn_open(struct taskstats_conn *c)
{
        struct sockaddr_nl local = { .nl_family = AF_NETLINK };
        /* Replies are queued while sendto() runs; the timeout only guards
         * against a lost reply blocking a worker forever. */
        struct timeval tv = { .tv_sec = 2 };
        int r;

        *c = (struct taskstats_conn) { .fd = -1 };
        c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
        if (c->fd < 0)
                return -errno;
        if (bind(c->fd, (struct sockaddr *) &local, sizeof(local)) < 0 ||
            setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
                r = -errno;
                taskstats_conn_close(c);
                return r;
        }
        r = resolve_family(c);
        if (r < 0) {
                taskstats_conn_close(c);
                return r;
        }
        return 0;
}

void taskstats_conn_close(struct taskstats_conn *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

int taskstats_cgroup(struct taskstats_conn *c, int dirfd, struct cgroup_task_states *ret)
{
        _cleanup_free_ char *buf = malloc(NL_BUF_SIZE);
        struct nl_request req;
        const struct nlattr *attrs;
        const void *data;
        struct cgroupstats st;
        uint32_t fd = (uint32_t) dirfd;
        size_t len, data_len;
        int r;

        if (!buf)
                return -ENOMEM;
        nl_request_init(&req, c, c->family, CGROUPSTATS_CMD_GET);
        /* The kernel resolves the fd in our fd table while handling sendto(). */
        nl_put_attr(&req, CGROUPSTATS_CMD_ATTR_FD, &fd, sizeof(fd));
        r = nl_transact(c, &req, buf, &attrs, &len);
        if (r < 0)
                return r;
        data = nl_find_attr(attrs, len, CGROUPSTATS_TYPE_CGROUP_STATS, &data_len);
        if (!data || data_len < sizeof(st))
                return -EBADMSG;
        memcpy(&st, data, sizeof(st));
        *ret = (struct cgroup_task_states) {
                .running = st.nr_running,
                .sleeping = st.nr_sleeping,
                .uninterruptible = st.nr_uninterruptible,
                .stopped = st.nr_stopped,
                .io_wait = st.nr_io_wait,
        };
        return 0;
}

/* ---- one connection per thread ---- */

struct thread_conn {
        int error; /* remembered failure of the first open, or 0 */
        struct taskstats_conn conn;
};

static pthread_key_t thread_conn_key;
static pthread_once_t thread_conn_once = PTHREAD_ONCE_INIT;
static int thread_conn_key_error;

static void thread_conn_free(void *p)
{
        struct thread_conn *tc = p;

        taskstats_conn_close(&tc->conn);
        free(tc);
}

static void thread_conn_key_init(void)
{
        thread_conn_key_error = -pthread_key_create(&thread_conn_key, thread_conn_free);
}

int taskstats_conn_thread(struct taskstats_conn **ret)
{
        struct thread_conn *tc;
        int r;

        r = pthread_once(&thread_conn_once, thread_conn_key_init);
        if (r != 0)
                return -r;
        if (thread_conn_key_error < 0)
                return thread_conn_key_error;

        tc = pthread_getspecific(thread_conn_key);
        if (!tc) {
                tc = calloc(1, sizeof(*tc));
                if (!tc)
                        return -ENOMEM;
                tc->error = taskstats_conn_open(&tc->conn);
                r = pthread_setspecific(thread_conn_key, tc);
                if (r != 0) {
                        thread_conn_free(tc);
                        return -r;
                }
        }
        if (tc->error < 0)
                return tc->error;
        *ret = &tc->conn;
        return 0;
}
