"""The auth flows: request in, a result out; views turn results into responses."""
