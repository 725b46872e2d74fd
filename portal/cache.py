"""Django's Redis cache, keeping one client per connection pool, with short timeouts.

Django's RedisCacheClient builds a new `redis.Redis` for every cache operation, and each one fills a
table of ~170 response callbacks; on the API's hot path (throttling, HMAC replay memory) that is a
measurable share of a request (bench/api_search.py). A `redis.Redis` is safe to share between
threads: it takes a connection from its pool per command, and the pool notices a fork.

redis-py waits 5 s for an answer by default: a paused or unreachable Redis then holds every request
(and call step) that touches the cache for 5 s. Redis answers in well under a millisecond, so a
command gets REDIS_TIMEOUT seconds, and one retry on a new connection, which is what a restarted
Redis needs (the pooled connections to the old server fail once). The cache's OPTIONS override these.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.backoff import NoBackoff
from redis.retry import Retry

REDIS_TIMEOUT = 0.5  # seconds, to connect and for each reply

POOL_DEFAULTS = {
    "socket_connect_timeout": REDIS_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
    "retry": Retry(NoBackoff(), 1),
    "health_check_interval": 30,
}


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**POOL_DEFAULTS, **kwargs})
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
