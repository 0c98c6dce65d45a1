"""Pure core: answers, rendering, events, timelines. No textual, no AWS calls, no subprocesses."""
