from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with the smallest costs, for the test suite only: same algorithm and
    code path, a fraction of the time."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1
