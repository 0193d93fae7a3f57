"""The live command dashboards: what happens in the district reaches every screen that may see it.

- `items`: an event as the dashboards show it (one dict, the same in the snapshot and the pushes);
- `groups`: who may hear about what (a center and all its ancestors, departments, users);
- `publish`: pushes from sync code (web and Celery workers) through one long-lived connection;
- `consumers`: the WebSocket `/ws/dashboard/`;
- `snapshot`: what a dashboard loads over HTTP before it applies pushes.
"""
