"""Events (事件): reporting, workflow and timeline. Not built yet: see the events issue."""
