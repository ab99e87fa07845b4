/** A daemon built on daemonkit from the outside: only the exported API is visible here. */
module dev.daemonkit.example.consumer {
    requires dev.daemonkit;
}
