/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "unit-job.h"

static void bus_unrefp(sd_bus **b) { if (*b) sd_bus_flush_close_unref(*b); }
static void message_unrefp(sd_bus_message **m) { sd_bus_message_unref(*m); }

/* The private socket is there as soon as PID 1 runs, even without a bus
 * daemon, and answers quicker. */
static int open_manager_bus(sd_bus **ret)
{
        sd_bus *b = NULL;
        int r;

        r = sd_bus_new(&b);
        if (r < 0)
                return r;
        r = sd_bus_set_address(b, "unix:path=/run/systemd/private");
        if (r >= 0)
                r = sd_bus_start(b);
        if (r < 0) {
                sd_bus_unref(b);
                return sd_bus_open_system(ret);
        }
        *ret = b;
        return 0;
}

static int unit_job_type(char **ret)
{
        _cleanup_(bus_unrefp) sd_bus *bus = NULL;
        _cleanup_(message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *unit = NULL;
        const char *unit_path, *job_path;
        uint32_t job_id;
        int r;

        r = sd_pid_get_unit(0, &unit);
        if (r < 0)
                return r;
        r = open_manager_bus(&bus);
        if (r < 0)
                return r;
        /* Readers wait meanwhile: never longer than this. */
        (void) sd_bus_set_method_call_timeout(bus, 2 * 1000 * 1000);
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply,
                               "s", unit);
        if (r < 0)
                goto out;
        r = sd_bus_message_read(reply, "o", &unit_path);
        if (r < 0)
                goto out;
        unit_path = strdupa(unit_path);
        reply = sd_bus_message_unref(reply);
        r = sd_bus_get_property(bus, "org.freedesktop.systemd1", unit_path,
                                "org.freedesktop.systemd1.Unit", "Job", &error, &reply, "(uo)");
        if (r < 0)
                goto out;
        r = sd_bus_message_read(reply, "(uo)", &job_id, &job_path);
        if (r < 0)
                goto out;
        if (job_id == 0) {
                *ret = NULL;
                r = 0;
                goto out;
        }
        job_path = strdupa(job_path);
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", job_path,
                                       "org.freedesktop.systemd1.Job", "JobType", &error, ret);
out:
        sd_bus_error_free(&error);
        return r;
}

bool unit_job_is_restart(void)
{
        _cleanup_free_ char *type = NULL;
        int r;

        if (!getenv("NOTIFY_SOCKET"))
                return false;
        r = unit_job_type(&type);
        if (r < 0) {
                log_warning_errno(r, "Failed to ask the service manager why we are stopped: %m; "
                                  "treating it as a stop.");
                return false;
        }
        log_debug("Stopped by a '%s' job.", type ?: "(none)");
        return type && (streq(type, "restart") || streq(type, "try-restart") ||
                        streq(type, "reload-or-restart") || streq(type, "reload-or-try-restart"));
}
