"""Support code for the test suite: settings, URLconfs, views, helpers and throwaway servers."""
