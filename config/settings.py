"""Settings for 一核多元共治.

With no environment set this runs the embedded default: SQLite, Celery tasks executed
in-process, DEBUG on. ``APP_ENV=production`` switches to the production mode, where a
``SECRET_KEY`` is required and ``manage.py check --deploy`` reports nothing.
"""

import sys
from pathlib import Path

import environ
from celery.schedules import crontab

from config.env import ConfigurationError, env_bool, env_int, parse_database_url
from config.spectacular import ProjectEnumNames

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
APP_ENV = env.str("APP_ENV", default="development")
if APP_ENV not in {"development", "production", "test"}:
    raise ConfigurationError(
        f"APP_ENV 只能是 development、production 或 test，而不是 {APP_ENV!r}。"
    )
PRODUCTION = APP_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise ConfigurationError("生产模式必须设置环境变量 SECRET_KEY（至少 50 个随机字符）。")
    SECRET_KEY = "dev-only-key-not-for-production-7d1f0c2b9e8a4f6d5c3b2a1908f7e6d5c4b3a2"
elif PRODUCTION and len(SECRET_KEY) < 50:
    raise ConfigurationError("生产模式的 SECRET_KEY 太短，至少需要 50 个随机字符。")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigurationError("生产模式必须设置 ALLOWED_HOSTS（逗号分隔的域名）。")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "portal.views.pages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "import_export",
    "simple_history",
]
# The project's own apps; discovery of api/urls.py, roles.py and demo.py walks this list.
PROJECT_APPS = [
    "core",
    "organizations",
    "grids",
    "covenants",
    "volunteers",
    "governance",
    "governance.assessment",
    "portal",
    "webhooks",
    "open311",
]
INSTALLED_APPS += PROJECT_APPS
# The model attaching staff users to nodes of the organisation tree; core.scope reads it by
# this name (as Django reads AUTH_USER_MODEL) so core never imports the organizations app.
SCOPE_ASSIGNMENT_MODEL = "organizations.ScopeAssignment"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Database down: a 503 page / API error instead of a traceback (core/middleware.py).
    "core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.context_processors.notifications",
            ],
        },
    },
]

# Database: SQLite by default, PostgreSQL when DATABASE_URL says so.
DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": parse_database_url(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # An unreachable server answers a request with 503 in seconds, not after the OS's minutes.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Under pytest (or APP_ENV=test) a fast hasher: fixtures create many users, and PBKDF2's
# deliberate slowness would dominate the suite's run time.
TESTING = APP_ENV == "test" or "pytest" in sys.modules
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads are never public files: /files/<name> checks the owning record's rules (core/media.py).
MEDIA_URL = "/files/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# "nginx": answer with X-Accel-Redirect /_protected/<name> (an internal location aliased to
# MEDIA_ROOT); empty: Django streams the file (development).
MEDIA_SENDFILE = env.str("MEDIA_SENDFILE", default="")
if MEDIA_SENDFILE not in {"", "nginx"}:
    raise ConfigurationError(f"MEDIA_SENDFILE 只能是 nginx 或留空，而不是 {MEDIA_SENDFILE!r}。")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

LOGIN_URL = "/admin/login/"

# Cache: Redis when configured (shared by all processes), local memory otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Redis down is a cache miss, never a 500 (core/cache.py).
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a real broker when REDIS_URL / CELERY_BROKER_URL is set, in-process otherwise.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 1}
# Degrade, don't block: publishing to a down broker fails in well under 2 s (one quick retry)
# and core.outbox keeps the call; nothing queued from a request waits on the result backend.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 2}}
# Tasks of later issues register their periodic entries here.
CELERY_BEAT_SCHEDULE: dict = {
    # governance: meeting/task reminders and overdue alerts, every morning (Asia/Shanghai).
    "governance-daily-reminders": {
        "task": "governance.send_daily_reminders",
        "schedule": crontab(hour=7, minute=30),
    },
    # governance: one digest of everything overdue per user, every morning (after the reminders).
    "governance-daily-digest": {
        "task": "governance.send_daily_digest",
        "schedule": crontab(hour=7, minute=40),
    },
    # governance: retry e-mails still queued (a mail server that was down).
    "governance-deliver-emails": {
        "task": "governance.deliver_notification_emails",
        "schedule": crontab(minute="*/15"),
    },
    # grids: SMS notices still waiting (a retry lost with a restarted worker, a gateway down).
    "grids-retry-case-sms": {"task": "grids.retry_case_sms", "schedule": 600.0},
    # grids: 吹哨报到 past a department's deadline escalates to the street (once per case).
    "grids-escalate-overdue-cases": {"task": "grids.escalate_overdue_cases", "schedule": 900.0},
    # core: queue the tasks kept in the database while the broker was down.
    "core-outbox-sweep": {"task": "core.outbox_sweep", "schedule": 60.0},
    # portal: photos kept across a form error that nobody came back for.
    "portal-sweep-pending-photos": {"task": "portal.sweep_pending_photos", "schedule": 3600.0},
    # covenants: signed agreements past their term become expired.
    "covenants-expire-agreements": {
        "task": "covenants.expire_agreements",
        "schedule": crontab(hour=1, minute=0),
    },
    # webhooks: retries that are due and deliveries whose task or worker was lost.
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 30.0},
    # assessment: roll up every assessment whose period ended (once; re-runs queue nothing).
    "assessment-rollup-due": {
        "task": "assessment.rollup_due",
        "schedule": crontab(hour=1, minute=30),
    },
}
# webhooks (docs/webhooks.md): private/loopback targets allowed only for tests and local
# receivers; per-try timeout; back-off base × 2^(n−1) capped; tries per delivery; deliveries
# given up in a row before the endpoint is switched off.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_BACKOFF_BASE_SECONDS = env_int("WEBHOOK_BACKOFF_BASE_SECONDS", default=10)
WEBHOOK_BACKOFF_CAP_SECONDS = env_int("WEBHOOK_BACKOFF_CAP_SECONDS", default=3600)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", default=12)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
# governance reminder windows: days before a planned meeting; days before the period's due
# date when nothing is planned; days before a task's deadline.
GOVERNANCE_REMINDER_WINDOWS = tuple(
    env.list("GOVERNANCE_REMINDER_WINDOWS", cast=int, default=[7, 1])
)
GOVERNANCE_UNPLANNED_WINDOW = env_int("GOVERNANCE_UNPLANNED_WINDOW", default=7)
GOVERNANCE_TASK_REMINDER_DAYS = env_int("GOVERNANCE_TASK_REMINDER_DAYS", default=1)
# The daily overdue digest: the scheme and host its links start with ("" = links relative to
# the site), and how many items of each kind it lists before "另有 N 项".
GOVERNANCE_DIGEST_BASE_URL = env.str("GOVERNANCE_DIGEST_BASE_URL", default="")
GOVERNANCE_DIGEST_MAX_ITEMS = env_int("GOVERNANCE_DIGEST_MAX_ITEMS", default=20)
# governance e-mail outbox: tries before a message refused with SMTP 5xx ends "failed"; tries
# before any other per-message error (4xx, server down) does (96 = a day of 15-minute runs).
GOVERNANCE_EMAIL_MAX_ATTEMPTS = env_int("GOVERNANCE_EMAIL_MAX_ATTEMPTS", default=3)
GOVERNANCE_EMAIL_MAX_TRANSIENT_ATTEMPTS = env_int(
    "GOVERNANCE_EMAIL_MAX_TRANSIENT_ATTEMPTS", default=96
)

# SMS (短信) to residents about their requests (core/sms.py): the HTTP gateway when
# SMS_GATEWAY_URL is set, the console in development, off in production without a gateway
# and under the tests (they choose a fake one).
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", default=5)
# Tries before a message the gateway keeps refusing (down, 429) ends "failed" (backoff doubles
# from 1 minute up to an hour: 12 tries ≈ 7 hours).
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", default=12)
# Open311 GeoReport v2 (open311/, docs/open311.md): photos by media_url are fetched only from
# these hosts (comma-separated; empty = every media_url refused), within the timeout (seconds);
# POST requests per integrator key per minute; the discovery document's contact line.
OPEN311_MEDIA_HOSTS = env.list("OPEN311_MEDIA_HOSTS", default=[])
OPEN311_MEDIA_TIMEOUT = env_int("OPEN311_MEDIA_TIMEOUT", default=5)
OPEN311_KEY_RATE_LIMIT = env_int("OPEN311_KEY_RATE_LIMIT", default=120)
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="街道办事处 民情诉求受理")
SMS_BACKEND = env.str("SMS_BACKEND", default="") or (
    "core.sms.HttpGatewayBackend"
    if SMS_GATEWAY_URL
    else ("" if PRODUCTION or TESTING else "core.sms.ConsoleBackend")
)

# E-mail
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@gongzhi.local")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.ScopedModelPermissions"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.TextJSONParser",
        "core.api.parsers.TextFormParser",
        "core.api.parsers.TextMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "一核多元共治 API",
    "DESCRIPTION": "街道、社区基层治理数据接口。所有数据按调用者的组织范围过滤。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Schema quality is enforced by `spectacular --validate --fail-on-warn` (tests/core); keep
    # `check --deploy` about deployment settings only.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "ENUM_NAME_OVERRIDES": ProjectEnumNames(),
    # One tag per app (core.api.schema.ProjectAutoSchema.get_tags: the view's module), in this
    # order in Swagger / Redoc. A new API app adds its tag here (tests/core/test_schema_cache.py
    # checks that every tag in use has a description).
    "TAGS": [
        {"name": "core", "description": "平台基础：API 令牌（登录换取、吊销）、后台导入任务进度"},
        {
            "name": "organizations",
            "description": "组织与党员：党组织树、党员、岗位认领、报到登记、班子与委员、"
            "下派干部、评议与财务公开",
        },
        {
            "name": "grids",
            "description": "网格化管理：网格、小区与楼栋、住户与居民、中心户联系、网格员、"
            "走访记录、居民诉求（案件）",
        },
        {
            "name": "covenants",
            "description": "共驻共建：驻区单位、共建协议与模板、需求 / 资源 / 项目清单与对接、"
            "联络记录、单位考评",
        },
        {
            "name": "volunteers",
            "description": "志愿服务：志愿者、技能、服务队、活动与报名、服务时长、微心愿；"
            "活动日历订阅（calendar-feed）",
        },
        {
            "name": "governance",
            "description": "联席会议与派单：会议制度、会议、决议、派单与双向评价、提醒通知；"
            "会议与派单期限日历订阅（calendar-feed）",
        },
        {
            "name": "assessment",
            "description": "考核评价：指标体系、考核与评分、工作清单、准入申请、满意度、汇总运行",
        },
    ],
}

MPTT_ADMIN_LEVEL_INDENT = 20
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_MAX_FILE_SIZE = env_int("IMPORT_MAX_FILE_SIZE", default=50 * 1024 * 1024)
# Confirmed imports of more rows than this run on a Celery worker (with a broker); a running
# job whose progress has not moved for IMPORT_JOB_STALE_SECONDS counts as failed.
IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", default=5000)
IMPORT_JOB_STALE_SECONDS = env_int("IMPORT_JOB_STALE_SECONDS", default=600)
# Calendar subscription URLs (core/ics.py) carry a signed token valid this many days.
ICS_FEED_TOKEN_MAX_AGE_DAYS = env_int("ICS_FEED_TOKEN_MAX_AGE_DAYS", default=365)
# A background import that no worker has started this long after its confirm (no worker, or
# kept in the task outbox while the broker is down) is given up: nothing written, re-confirm.
IMPORT_JOB_QUEUE_TIMEOUT_SECONDS = env_int("IMPORT_JOB_QUEUE_TIMEOUT_SECONDS", default=1800)
VOLUNTEER_STAR_THRESHOLDS = [100, 300, 600, 1000, 1500]  # 1★…5★ by cumulative service hours

# Security: strict in production, relaxed for the embedded default.
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Error reports (DEBUG page, error e-mails) show URLs without their passwords.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.log.RedactingExceptionReporterFilter"

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ConfigurationError(
        f"LOG_LEVEL 只能是 DEBUG、INFO、WARNING、ERROR 或 CRITICAL，而不是 {LOG_LEVEL!r}。"
    )
# Security hardening (issue 15): client IP, lock-out, API tokens, Content-Security-Policy.
# Number of our own proxies in front of the application (docker-compose's nginx: 1); the
# client IP is taken from X-Forwarded-For only that many hops from the right (core.clientip).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", default=30)
# django-axes: one lock-out for the admin login, the API token endpoint and the portal login.
# Locks the account and the IP separately after LOGIN_FAILURE_LIMIT failures; the cool-off
# doubles with every further round of failures (core.lockout.cool_off).
INSTALLED_APPS += ["axes"]
MIDDLEWARE += [
    "core.clientip.ClientIPMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=10)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "core.lockout.cool_off"
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# django-csp 4: no inline script or style anywhere; Swagger UI comes from the sidecar (self).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"without_traceback": {"()": "config.log.WithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A request with a Host header not in ALLOWED_HOSTS (scanners, bare IPs): one line
        # naming the host, no traceback.
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "filters": ["without_traceback"],
            "level": "WARNING",
            "propagate": False,
        },
    },
}
