# Generated from proto/leveret/v1/api.proto by scripts/gen_proto.py — do not edit.
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AppState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APP_STATE_UNSPECIFIED: _ClassVar[AppState]
    APP_STATE_EPHEMERAL: _ClassVar[AppState]
    APP_STATE_STOPPED: _ClassVar[AppState]
    APP_STATE_DEPLOYED: _ClassVar[AppState]

class OutputStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTPUT_STATUS_UNSPECIFIED: _ClassVar[OutputStatus]
    OUTPUT_STATUS_SUCCESS: _ClassVar[OutputStatus]
    OUTPUT_STATUS_FAILURE: _ClassVar[OutputStatus]
    OUTPUT_STATUS_GENERATOR_ITEM: _ClassVar[OutputStatus]
    OUTPUT_STATUS_GENERATOR_DONE: _ClassVar[OutputStatus]
    OUTPUT_STATUS_CANCELLED: _ClassVar[OutputStatus]
    OUTPUT_STATUS_TIMEOUT: _ClassVar[OutputStatus]
    OUTPUT_STATUS_INTERNAL_FAILURE: _ClassVar[OutputStatus]
    OUTPUT_STATUS_OUT_OF_MEMORY: _ClassVar[OutputStatus]

class LogSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOG_SOURCE_UNSPECIFIED: _ClassVar[LogSource]
    LOG_SOURCE_STDOUT: _ClassVar[LogSource]
    LOG_SOURCE_STDERR: _ClassVar[LogSource]
    LOG_SOURCE_SYSTEM: _ClassVar[LogSource]

class ContainerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTAINER_STATE_UNSPECIFIED: _ClassVar[ContainerState]
    CONTAINER_STATE_STARTING: _ClassVar[ContainerState]
    CONTAINER_STATE_READY: _ClassVar[ContainerState]
    CONTAINER_STATE_STOPPED: _ClassVar[ContainerState]
    CONTAINER_STATE_FAILED: _ClassVar[ContainerState]

class ObjectCreation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBJECT_CREATION_UNSPECIFIED: _ClassVar[ObjectCreation]
    OBJECT_CREATION_IF_MISSING: _ClassVar[ObjectCreation]
    OBJECT_CREATION_FAIL_IF_EXISTS: _ClassVar[ObjectCreation]
APP_STATE_UNSPECIFIED: AppState
APP_STATE_EPHEMERAL: AppState
APP_STATE_STOPPED: AppState
APP_STATE_DEPLOYED: AppState
OUTPUT_STATUS_UNSPECIFIED: OutputStatus
OUTPUT_STATUS_SUCCESS: OutputStatus
OUTPUT_STATUS_FAILURE: OutputStatus
OUTPUT_STATUS_GENERATOR_ITEM: OutputStatus
OUTPUT_STATUS_GENERATOR_DONE: OutputStatus
OUTPUT_STATUS_CANCELLED: OutputStatus
OUTPUT_STATUS_TIMEOUT: OutputStatus
OUTPUT_STATUS_INTERNAL_FAILURE: OutputStatus
OUTPUT_STATUS_OUT_OF_MEMORY: OutputStatus
LOG_SOURCE_UNSPECIFIED: LogSource
LOG_SOURCE_STDOUT: LogSource
LOG_SOURCE_STDERR: LogSource
LOG_SOURCE_SYSTEM: LogSource
CONTAINER_STATE_UNSPECIFIED: ContainerState
CONTAINER_STATE_STARTING: ContainerState
CONTAINER_STATE_READY: ContainerState
CONTAINER_STATE_STOPPED: ContainerState
CONTAINER_STATE_FAILED: ContainerState
OBJECT_CREATION_UNSPECIFIED: ObjectCreation
OBJECT_CREATION_IF_MISSING: ObjectCreation
OBJECT_CREATION_FAIL_IF_EXISTS: ObjectCreation

class AppCreateRequest(_message.Message):
    __slots__ = ("name", "description", "deploy", "detach", "environment")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEPLOY_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    deploy: bool
    detach: bool
    environment: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., deploy: _Optional[bool] = ..., detach: _Optional[bool] = ..., environment: _Optional[str] = ...) -> None: ...

class AppCreateResponse(_message.Message):
    __slots__ = ("app_id", "version")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    version: int
    def __init__(self, app_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class AppPublishRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class AppPublishResponse(_message.Message):
    __slots__ = ("version", "replaced_app_id")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REPLACED_APP_ID_FIELD_NUMBER: _ClassVar[int]
    version: int
    replaced_app_id: str
    def __init__(self, version: _Optional[int] = ..., replaced_app_id: _Optional[str] = ...) -> None: ...

class AppInfo(_message.Message):
    __slots__ = ("app_id", "name", "state", "version", "description", "created_at", "stopped_at", "stop_reason", "functions", "live", "web_urls")
    class WebUrlsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STOPPED_AT_FIELD_NUMBER: _ClassVar[int]
    STOP_REASON_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    LIVE_FIELD_NUMBER: _ClassVar[int]
    WEB_URLS_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    name: str
    state: AppState
    version: int
    description: str
    created_at: float
    stopped_at: float
    stop_reason: str
    functions: _containers.RepeatedScalarFieldContainer[str]
    live: bool
    web_urls: _containers.ScalarMap[str, str]
    def __init__(self, app_id: _Optional[str] = ..., name: _Optional[str] = ..., state: _Optional[_Union[AppState, str]] = ..., version: _Optional[int] = ..., description: _Optional[str] = ..., created_at: _Optional[float] = ..., stopped_at: _Optional[float] = ..., stop_reason: _Optional[str] = ..., functions: _Optional[_Iterable[str]] = ..., live: _Optional[bool] = ..., web_urls: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AppListRequest(_message.Message):
    __slots__ = ("all",)
    ALL_FIELD_NUMBER: _ClassVar[int]
    all: bool
    def __init__(self, all: _Optional[bool] = ...) -> None: ...

class AppListResponse(_message.Message):
    __slots__ = ("apps",)
    APPS_FIELD_NUMBER: _ClassVar[int]
    apps: _containers.RepeatedCompositeFieldContainer[AppInfo]
    def __init__(self, apps: _Optional[_Iterable[_Union[AppInfo, _Mapping]]] = ...) -> None: ...

class AppHistoryRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class AppHistoryResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[AppInfo]
    def __init__(self, versions: _Optional[_Iterable[_Union[AppInfo, _Mapping]]] = ...) -> None: ...

class AppRollbackRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class AppRollbackResponse(_message.Message):
    __slots__ = ("app_id", "version", "from_version")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    version: int
    from_version: int
    def __init__(self, app_id: _Optional[str] = ..., version: _Optional[int] = ..., from_version: _Optional[int] = ...) -> None: ...

class AppStopRequest(_message.Message):
    __slots__ = ("app_id", "reason")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    reason: str
    def __init__(self, app_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AppStopResponse(_message.Message):
    __slots__ = ("cancelled_inputs",)
    CANCELLED_INPUTS_FIELD_NUMBER: _ClassVar[int]
    cancelled_inputs: int
    def __init__(self, cancelled_inputs: _Optional[int] = ...) -> None: ...

class AppHeartbeatRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class AppHeartbeatResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MountFile(_message.Message):
    __slots__ = ("path", "sha256", "content", "mode")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    path: str
    sha256: str
    content: bytes
    mode: int
    def __init__(self, path: _Optional[str] = ..., sha256: _Optional[str] = ..., content: _Optional[bytes] = ..., mode: _Optional[int] = ...) -> None: ...

class MountGetMissingRequest(_message.Message):
    __slots__ = ("sha256",)
    SHA256_FIELD_NUMBER: _ClassVar[int]
    sha256: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, sha256: _Optional[_Iterable[str]] = ...) -> None: ...

class MountGetMissingResponse(_message.Message):
    __slots__ = ("missing",)
    MISSING_FIELD_NUMBER: _ClassVar[int]
    missing: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, missing: _Optional[_Iterable[str]] = ...) -> None: ...

class MountCreateRequest(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[MountFile]
    def __init__(self, files: _Optional[_Iterable[_Union[MountFile, _Mapping]]] = ...) -> None: ...

class MountCreateResponse(_message.Message):
    __slots__ = ("mount_id",)
    MOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    mount_id: str
    def __init__(self, mount_id: _Optional[str] = ...) -> None: ...

class MountGetRequest(_message.Message):
    __slots__ = ("mount_id",)
    MOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    mount_id: str
    def __init__(self, mount_id: _Optional[str] = ...) -> None: ...

class MountGetResponse(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[MountFile]
    def __init__(self, files: _Optional[_Iterable[_Union[MountFile, _Mapping]]] = ...) -> None: ...

class FunctionDefinition(_message.Message):
    __slots__ = ("name", "module", "mount_id", "serialized_function", "is_generator", "is_async", "scaledown_window_s", "max_containers", "timeout_s", "cpu", "memory_mb", "block_network", "image", "secret_env", "retries", "startup_timeout_s", "min_containers", "buffer_containers", "max_inputs", "target_inputs", "cpu_request", "memory_request_mb", "gpu_type", "gpu_count", "selector", "schedule", "ephemeral_disk_mb", "class_name", "methods", "params", "batch_max_size", "batch_wait_ms", "import_name", "secret_ids", "volume_mounts", "bucket_mounts", "web", "web_methods")
    class SecretEnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class SelectorEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class MethodsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bool
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...
    class WebMethodsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: WebEndpoint
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[WebEndpoint, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    MOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SERIALIZED_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    IS_GENERATOR_FIELD_NUMBER: _ClassVar[int]
    IS_ASYNC_FIELD_NUMBER: _ClassVar[int]
    SCALEDOWN_WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    MAX_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NETWORK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    SECRET_ENV_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    STARTUP_TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    MIN_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    BUFFER_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    MAX_INPUTS_FIELD_NUMBER: _ClassVar[int]
    TARGET_INPUTS_FIELD_NUMBER: _ClassVar[int]
    CPU_REQUEST_FIELD_NUMBER: _ClassVar[int]
    MEMORY_REQUEST_MB_FIELD_NUMBER: _ClassVar[int]
    GPU_TYPE_FIELD_NUMBER: _ClassVar[int]
    GPU_COUNT_FIELD_NUMBER: _ClassVar[int]
    SELECTOR_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    EPHEMERAL_DISK_MB_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    BATCH_MAX_SIZE_FIELD_NUMBER: _ClassVar[int]
    BATCH_WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    IMPORT_NAME_FIELD_NUMBER: _ClassVar[int]
    SECRET_IDS_FIELD_NUMBER: _ClassVar[int]
    VOLUME_MOUNTS_FIELD_NUMBER: _ClassVar[int]
    BUCKET_MOUNTS_FIELD_NUMBER: _ClassVar[int]
    WEB_FIELD_NUMBER: _ClassVar[int]
    WEB_METHODS_FIELD_NUMBER: _ClassVar[int]
    name: str
    module: str
    mount_id: str
    serialized_function: bytes
    is_generator: bool
    is_async: bool
    scaledown_window_s: int
    max_containers: int
    timeout_s: float
    cpu: float
    memory_mb: int
    block_network: bool
    image: str
    secret_env: _containers.ScalarMap[str, str]
    retries: RetryPolicy
    startup_timeout_s: float
    min_containers: int
    buffer_containers: int
    max_inputs: int
    target_inputs: int
    cpu_request: float
    memory_request_mb: int
    gpu_type: str
    gpu_count: int
    selector: _containers.ScalarMap[str, str]
    schedule: str
    ephemeral_disk_mb: int
    class_name: str
    methods: _containers.ScalarMap[str, bool]
    params: str
    batch_max_size: int
    batch_wait_ms: int
    import_name: str
    secret_ids: _containers.RepeatedScalarFieldContainer[str]
    volume_mounts: _containers.RepeatedCompositeFieldContainer[VolumeMount]
    bucket_mounts: _containers.RepeatedCompositeFieldContainer[BucketMount]
    web: WebEndpoint
    web_methods: _containers.MessageMap[str, WebEndpoint]
    def __init__(self, name: _Optional[str] = ..., module: _Optional[str] = ..., mount_id: _Optional[str] = ..., serialized_function: _Optional[bytes] = ..., is_generator: _Optional[bool] = ..., is_async: _Optional[bool] = ..., scaledown_window_s: _Optional[int] = ..., max_containers: _Optional[int] = ..., timeout_s: _Optional[float] = ..., cpu: _Optional[float] = ..., memory_mb: _Optional[int] = ..., block_network: _Optional[bool] = ..., image: _Optional[str] = ..., secret_env: _Optional[_Mapping[str, str]] = ..., retries: _Optional[_Union[RetryPolicy, _Mapping]] = ..., startup_timeout_s: _Optional[float] = ..., min_containers: _Optional[int] = ..., buffer_containers: _Optional[int] = ..., max_inputs: _Optional[int] = ..., target_inputs: _Optional[int] = ..., cpu_request: _Optional[float] = ..., memory_request_mb: _Optional[int] = ..., gpu_type: _Optional[str] = ..., gpu_count: _Optional[int] = ..., selector: _Optional[_Mapping[str, str]] = ..., schedule: _Optional[str] = ..., ephemeral_disk_mb: _Optional[int] = ..., class_name: _Optional[str] = ..., methods: _Optional[_Mapping[str, bool]] = ..., params: _Optional[str] = ..., batch_max_size: _Optional[int] = ..., batch_wait_ms: _Optional[int] = ..., import_name: _Optional[str] = ..., secret_ids: _Optional[_Iterable[str]] = ..., volume_mounts: _Optional[_Iterable[_Union[VolumeMount, _Mapping]]] = ..., bucket_mounts: _Optional[_Iterable[_Union[BucketMount, _Mapping]]] = ..., web: _Optional[_Union[WebEndpoint, _Mapping]] = ..., web_methods: _Optional[_Mapping[str, WebEndpoint]] = ...) -> None: ...

class WebEndpoint(_message.Message):
    __slots__ = ("kind", "method", "label", "docs", "requires_proxy_auth", "port", "startup_timeout_s")
    KIND_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DOCS_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_PROXY_AUTH_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    STARTUP_TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    kind: str
    method: str
    label: str
    docs: bool
    requires_proxy_auth: bool
    port: int
    startup_timeout_s: float
    def __init__(self, kind: _Optional[str] = ..., method: _Optional[str] = ..., label: _Optional[str] = ..., docs: _Optional[bool] = ..., requires_proxy_auth: _Optional[bool] = ..., port: _Optional[int] = ..., startup_timeout_s: _Optional[float] = ...) -> None: ...

class VolumeMount(_message.Message):
    __slots__ = ("path", "volume_id", "read_only", "sub_path")
    PATH_FIELD_NUMBER: _ClassVar[int]
    VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    SUB_PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    volume_id: str
    read_only: bool
    sub_path: str
    def __init__(self, path: _Optional[str] = ..., volume_id: _Optional[str] = ..., read_only: _Optional[bool] = ..., sub_path: _Optional[str] = ...) -> None: ...

class BucketMount(_message.Message):
    __slots__ = ("path", "bucket_name", "endpoint_url", "key_prefix", "read_only", "secret_id", "force_path_style", "secret_env")
    class SecretEnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PATH_FIELD_NUMBER: _ClassVar[int]
    BUCKET_NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_URL_FIELD_NUMBER: _ClassVar[int]
    KEY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    SECRET_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_PATH_STYLE_FIELD_NUMBER: _ClassVar[int]
    SECRET_ENV_FIELD_NUMBER: _ClassVar[int]
    path: str
    bucket_name: str
    endpoint_url: str
    key_prefix: str
    read_only: bool
    secret_id: str
    force_path_style: bool
    secret_env: _containers.ScalarMap[str, str]
    def __init__(self, path: _Optional[str] = ..., bucket_name: _Optional[str] = ..., endpoint_url: _Optional[str] = ..., key_prefix: _Optional[str] = ..., read_only: _Optional[bool] = ..., secret_id: _Optional[str] = ..., force_path_style: _Optional[bool] = ..., secret_env: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ("max_retries", "backoff_coefficient", "initial_delay_s", "max_delay_s")
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    INITIAL_DELAY_S_FIELD_NUMBER: _ClassVar[int]
    MAX_DELAY_S_FIELD_NUMBER: _ClassVar[int]
    max_retries: int
    backoff_coefficient: float
    initial_delay_s: float
    max_delay_s: float
    def __init__(self, max_retries: _Optional[int] = ..., backoff_coefficient: _Optional[float] = ..., initial_delay_s: _Optional[float] = ..., max_delay_s: _Optional[float] = ...) -> None: ...

class FunctionLookupRequest(_message.Message):
    __slots__ = ("app_name", "function_name", "environment_name", "version")
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    app_name: str
    function_name: str
    environment_name: str
    version: int
    def __init__(self, app_name: _Optional[str] = ..., function_name: _Optional[str] = ..., environment_name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class FunctionLookupResponse(_message.Message):
    __slots__ = ("function_id", "app_id", "is_generator", "is_async", "is_class", "methods", "web_url")
    class MethodsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bool
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    IS_GENERATOR_FIELD_NUMBER: _ClassVar[int]
    IS_ASYNC_FIELD_NUMBER: _ClassVar[int]
    IS_CLASS_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    WEB_URL_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    app_id: str
    is_generator: bool
    is_async: bool
    is_class: bool
    methods: _containers.ScalarMap[str, bool]
    web_url: str
    def __init__(self, function_id: _Optional[str] = ..., app_id: _Optional[str] = ..., is_generator: _Optional[bool] = ..., is_async: _Optional[bool] = ..., is_class: _Optional[bool] = ..., methods: _Optional[_Mapping[str, bool]] = ..., web_url: _Optional[str] = ...) -> None: ...

class FunctionBindRequest(_message.Message):
    __slots__ = ("function_id", "params", "options")
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    params: str
    options: str
    def __init__(self, function_id: _Optional[str] = ..., params: _Optional[str] = ..., options: _Optional[str] = ...) -> None: ...

class FunctionBindResponse(_message.Message):
    __slots__ = ("function_id",)
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    def __init__(self, function_id: _Optional[str] = ...) -> None: ...

class FunctionDescribeRequest(_message.Message):
    __slots__ = ("app_name_or_id", "function_name")
    APP_NAME_OR_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    app_name_or_id: str
    function_name: str
    def __init__(self, app_name_or_id: _Optional[str] = ..., function_name: _Optional[str] = ...) -> None: ...

class ContainerInfo(_message.Message):
    __slots__ = ("container_id", "worker_id", "state", "running", "idle_s", "age_s", "app_id", "app_name", "function_name", "worker_hostname", "cpu_cores", "memory_bytes")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    IDLE_S_FIELD_NUMBER: _ClassVar[int]
    AGE_S_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    WORKER_HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    CPU_CORES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    worker_id: str
    state: str
    running: int
    idle_s: float
    age_s: float
    app_id: str
    app_name: str
    function_name: str
    worker_hostname: str
    cpu_cores: float
    memory_bytes: int
    def __init__(self, container_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., state: _Optional[str] = ..., running: _Optional[int] = ..., idle_s: _Optional[float] = ..., age_s: _Optional[float] = ..., app_id: _Optional[str] = ..., app_name: _Optional[str] = ..., function_name: _Optional[str] = ..., worker_hostname: _Optional[str] = ..., cpu_cores: _Optional[float] = ..., memory_bytes: _Optional[int] = ...) -> None: ...

class ContainerListRequest(_message.Message):
    __slots__ = ("app_name_or_id",)
    APP_NAME_OR_ID_FIELD_NUMBER: _ClassVar[int]
    app_name_or_id: str
    def __init__(self, app_name_or_id: _Optional[str] = ...) -> None: ...

class ContainerListResponse(_message.Message):
    __slots__ = ("containers",)
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    containers: _containers.RepeatedCompositeFieldContainer[ContainerInfo]
    def __init__(self, containers: _Optional[_Iterable[_Union[ContainerInfo, _Mapping]]] = ...) -> None: ...

class ContainerStopRequest(_message.Message):
    __slots__ = ("container_id",)
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    def __init__(self, container_id: _Optional[str] = ...) -> None: ...

class ContainerStopResponse(_message.Message):
    __slots__ = ("requeued_inputs",)
    REQUEUED_INPUTS_FIELD_NUMBER: _ClassVar[int]
    requeued_inputs: int
    def __init__(self, requeued_inputs: _Optional[int] = ...) -> None: ...

class ContainerExecRequest(_message.Message):
    __slots__ = ("container_id", "argv", "interactive", "tty", "env", "stdin", "stdin_eof", "rows", "cols")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    INTERACTIVE_FIELD_NUMBER: _ClassVar[int]
    TTY_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    STDIN_EOF_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    interactive: bool
    tty: bool
    env: _containers.ScalarMap[str, str]
    stdin: bytes
    stdin_eof: bool
    rows: int
    cols: int
    def __init__(self, container_id: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., interactive: _Optional[bool] = ..., tty: _Optional[bool] = ..., env: _Optional[_Mapping[str, str]] = ..., stdin: _Optional[bytes] = ..., stdin_eof: _Optional[bool] = ..., rows: _Optional[int] = ..., cols: _Optional[int] = ...) -> None: ...

class ContainerExecResponse(_message.Message):
    __slots__ = ("stream", "data", "done", "exit_code", "error")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    stream: int
    data: bytes
    done: bool
    exit_code: int
    error: str
    def __init__(self, stream: _Optional[int] = ..., data: _Optional[bytes] = ..., done: _Optional[bool] = ..., exit_code: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class FunctionStatsRequest(_message.Message):
    __slots__ = ("app_name_or_id", "function_name", "function_id")
    APP_NAME_OR_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    app_name_or_id: str
    function_name: str
    function_id: str
    def __init__(self, app_name_or_id: _Optional[str] = ..., function_name: _Optional[str] = ..., function_id: _Optional[str] = ...) -> None: ...

class FunctionUpdateAutoscalerRequest(_message.Message):
    __slots__ = ("function_id", "min_containers", "max_containers", "buffer_containers", "scaledown_window_s")
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    MIN_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    BUFFER_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    SCALEDOWN_WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    min_containers: int
    max_containers: int
    buffer_containers: int
    scaledown_window_s: int
    def __init__(self, function_id: _Optional[str] = ..., min_containers: _Optional[int] = ..., max_containers: _Optional[int] = ..., buffer_containers: _Optional[int] = ..., scaledown_window_s: _Optional[int] = ...) -> None: ...

class FunctionUpdateAutoscalerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FunctionStatsResponse(_message.Message):
    __slots__ = ("function_id", "outputs_by_status", "inputs", "latency_p50_s", "latency_p95_s", "latency_p99_s", "containers_started", "cold_start_p50_s", "queued", "running", "containers")
    class OutputsByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_S_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P95_S_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_S_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_STARTED_FIELD_NUMBER: _ClassVar[int]
    COLD_START_P50_S_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    outputs_by_status: _containers.ScalarMap[str, int]
    inputs: int
    latency_p50_s: float
    latency_p95_s: float
    latency_p99_s: float
    containers_started: int
    cold_start_p50_s: float
    queued: int
    running: int
    containers: int
    def __init__(self, function_id: _Optional[str] = ..., outputs_by_status: _Optional[_Mapping[str, int]] = ..., inputs: _Optional[int] = ..., latency_p50_s: _Optional[float] = ..., latency_p95_s: _Optional[float] = ..., latency_p99_s: _Optional[float] = ..., containers_started: _Optional[int] = ..., cold_start_p50_s: _Optional[float] = ..., queued: _Optional[int] = ..., running: _Optional[int] = ..., containers: _Optional[int] = ...) -> None: ...

class ScaleEvent(_message.Message):
    __slots__ = ("ts", "text")
    TS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ts: float
    text: str
    def __init__(self, ts: _Optional[float] = ..., text: _Optional[str] = ...) -> None: ...

class FunctionDescribeResponse(_message.Message):
    __slots__ = ("function_id", "app_id", "app_name", "version", "queued", "running", "containers", "pending", "events", "backoff", "settings", "schedule", "function_name", "app_state")
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    APP_STATE_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    app_id: str
    app_name: str
    version: int
    queued: int
    running: int
    containers: _containers.RepeatedCompositeFieldContainer[ContainerInfo]
    pending: _containers.RepeatedScalarFieldContainer[str]
    events: _containers.RepeatedCompositeFieldContainer[ScaleEvent]
    backoff: str
    settings: str
    schedule: str
    function_name: str
    app_state: str
    def __init__(self, function_id: _Optional[str] = ..., app_id: _Optional[str] = ..., app_name: _Optional[str] = ..., version: _Optional[int] = ..., queued: _Optional[int] = ..., running: _Optional[int] = ..., containers: _Optional[_Iterable[_Union[ContainerInfo, _Mapping]]] = ..., pending: _Optional[_Iterable[str]] = ..., events: _Optional[_Iterable[_Union[ScaleEvent, _Mapping]]] = ..., backoff: _Optional[str] = ..., settings: _Optional[str] = ..., schedule: _Optional[str] = ..., function_name: _Optional[str] = ..., app_state: _Optional[str] = ...) -> None: ...

class FunctionCreateRequest(_message.Message):
    __slots__ = ("app_id", "definition", "replace")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    definition: FunctionDefinition
    replace: bool
    def __init__(self, app_id: _Optional[str] = ..., definition: _Optional[_Union[FunctionDefinition, _Mapping]] = ..., replace: _Optional[bool] = ...) -> None: ...

class FunctionCreateResponse(_message.Message):
    __slots__ = ("function_id", "web_url", "web_urls")
    class WebUrlsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    WEB_URL_FIELD_NUMBER: _ClassVar[int]
    WEB_URLS_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    web_url: str
    web_urls: _containers.ScalarMap[str, str]
    def __init__(self, function_id: _Optional[str] = ..., web_url: _Optional[str] = ..., web_urls: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Input(_message.Message):
    __slots__ = ("idx", "args", "args_blob_id")
    IDX_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ARGS_BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    idx: int
    args: bytes
    args_blob_id: str
    def __init__(self, idx: _Optional[int] = ..., args: _Optional[bytes] = ..., args_blob_id: _Optional[str] = ...) -> None: ...

class Output(_message.Message):
    __slots__ = ("idx", "status", "data", "gen_index", "message", "data_blob_id", "traceback")
    IDX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    GEN_INDEX_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    idx: int
    status: OutputStatus
    data: bytes
    gen_index: int
    message: str
    data_blob_id: str
    traceback: str
    def __init__(self, idx: _Optional[int] = ..., status: _Optional[_Union[OutputStatus, str]] = ..., data: _Optional[bytes] = ..., gen_index: _Optional[int] = ..., message: _Optional[str] = ..., data_blob_id: _Optional[str] = ..., traceback: _Optional[str] = ...) -> None: ...

class FunctionMapRequest(_message.Message):
    __slots__ = ("function_id", "inputs", "total", "last", "call_id", "resume", "from_output", "parent_input_id", "spawn")
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    RESUME_FIELD_NUMBER: _ClassVar[int]
    FROM_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    PARENT_INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    SPAWN_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[Input]
    total: int
    last: bool
    call_id: str
    resume: bool
    from_output: int
    parent_input_id: str
    spawn: bool
    def __init__(self, function_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Input, _Mapping]]] = ..., total: _Optional[int] = ..., last: _Optional[bool] = ..., call_id: _Optional[str] = ..., resume: _Optional[bool] = ..., from_output: _Optional[int] = ..., parent_input_id: _Optional[str] = ..., spawn: _Optional[bool] = ...) -> None: ...

class FunctionMapResponse(_message.Message):
    __slots__ = ("call_id", "outputs", "acked")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    ACKED_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    outputs: _containers.RepeatedCompositeFieldContainer[Output]
    acked: int
    def __init__(self, call_id: _Optional[str] = ..., outputs: _Optional[_Iterable[_Union[Output, _Mapping]]] = ..., acked: _Optional[int] = ...) -> None: ...

class FunctionRemoteRequest(_message.Message):
    __slots__ = ("tag", "function_id", "input", "cancel", "call_id", "again", "parent_input_id")
    TAG_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGAIN_FIELD_NUMBER: _ClassVar[int]
    PARENT_INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    tag: int
    function_id: str
    input: Input
    cancel: bool
    call_id: str
    again: bool
    parent_input_id: str
    def __init__(self, tag: _Optional[int] = ..., function_id: _Optional[str] = ..., input: _Optional[_Union[Input, _Mapping]] = ..., cancel: _Optional[bool] = ..., call_id: _Optional[str] = ..., again: _Optional[bool] = ..., parent_input_id: _Optional[str] = ...) -> None: ...

class FunctionRemoteResponse(_message.Message):
    __slots__ = ("tag", "call_id", "output", "not_found", "refused", "invalid")
    TAG_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    NOT_FOUND_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    INVALID_FIELD_NUMBER: _ClassVar[int]
    tag: int
    call_id: str
    output: Output
    not_found: str
    refused: str
    invalid: str
    def __init__(self, tag: _Optional[int] = ..., call_id: _Optional[str] = ..., output: _Optional[_Union[Output, _Mapping]] = ..., not_found: _Optional[str] = ..., refused: _Optional[str] = ..., invalid: _Optional[str] = ...) -> None: ...

class FunctionSpawnRequest(_message.Message):
    __slots__ = ("function_id", "input", "call_id", "again", "parent_input_id")
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGAIN_FIELD_NUMBER: _ClassVar[int]
    PARENT_INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    input: Input
    call_id: str
    again: bool
    parent_input_id: str
    def __init__(self, function_id: _Optional[str] = ..., input: _Optional[_Union[Input, _Mapping]] = ..., call_id: _Optional[str] = ..., again: _Optional[bool] = ..., parent_input_id: _Optional[str] = ...) -> None: ...

class FunctionSpawnResponse(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class FunctionCallGetRequest(_message.Message):
    __slots__ = ("call_id", "timeout_s", "from_index")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    FROM_INDEX_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    timeout_s: float
    from_index: int
    def __init__(self, call_id: _Optional[str] = ..., timeout_s: _Optional[float] = ..., from_index: _Optional[int] = ...) -> None: ...

class FunctionCallGetResponse(_message.Message):
    __slots__ = ("outputs", "done", "timed_out")
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    outputs: _containers.RepeatedCompositeFieldContainer[Output]
    done: bool
    timed_out: bool
    def __init__(self, outputs: _Optional[_Iterable[_Union[Output, _Mapping]]] = ..., done: _Optional[bool] = ..., timed_out: _Optional[bool] = ...) -> None: ...

class FunctionCallCancelRequest(_message.Message):
    __slots__ = ("call_id", "terminate_containers")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TERMINATE_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    terminate_containers: bool
    def __init__(self, call_id: _Optional[str] = ..., terminate_containers: _Optional[bool] = ...) -> None: ...

class FunctionCallCancelResponse(_message.Message):
    __slots__ = ("cancelled_inputs",)
    CANCELLED_INPUTS_FIELD_NUMBER: _ClassVar[int]
    cancelled_inputs: int
    def __init__(self, cancelled_inputs: _Optional[int] = ...) -> None: ...

class FunctionCallGraphRequest(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    def __init__(self, call_id: _Optional[str] = ...) -> None: ...

class CallGraphInput(_message.Message):
    __slots__ = ("input_id", "call_id", "parent_input_id", "function_id", "function_name", "status", "container_id", "idx", "module_name")
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    IDX_FIELD_NUMBER: _ClassVar[int]
    MODULE_NAME_FIELD_NUMBER: _ClassVar[int]
    input_id: str
    call_id: str
    parent_input_id: str
    function_id: str
    function_name: str
    status: int
    container_id: str
    idx: int
    module_name: str
    def __init__(self, input_id: _Optional[str] = ..., call_id: _Optional[str] = ..., parent_input_id: _Optional[str] = ..., function_id: _Optional[str] = ..., function_name: _Optional[str] = ..., status: _Optional[int] = ..., container_id: _Optional[str] = ..., idx: _Optional[int] = ..., module_name: _Optional[str] = ...) -> None: ...

class FunctionCallGraphResponse(_message.Message):
    __slots__ = ("inputs",)
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: _containers.RepeatedCompositeFieldContainer[CallGraphInput]
    def __init__(self, inputs: _Optional[_Iterable[_Union[CallGraphInput, _Mapping]]] = ...) -> None: ...

class TokenFlowCreateRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class TokenFlowCreateResponse(_message.Message):
    __slots__ = ("flow_id", "wait_secret", "web_url", "code")
    FLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_SECRET_FIELD_NUMBER: _ClassVar[int]
    WEB_URL_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    flow_id: str
    wait_secret: str
    web_url: str
    code: str
    def __init__(self, flow_id: _Optional[str] = ..., wait_secret: _Optional[str] = ..., web_url: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class TokenFlowWaitRequest(_message.Message):
    __slots__ = ("flow_id", "wait_secret", "timeout_s")
    FLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_SECRET_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    flow_id: str
    wait_secret: str
    timeout_s: float
    def __init__(self, flow_id: _Optional[str] = ..., wait_secret: _Optional[str] = ..., timeout_s: _Optional[float] = ...) -> None: ...

class TokenFlowWaitResponse(_message.Message):
    __slots__ = ("timed_out", "token_id", "token", "scope")
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    timed_out: bool
    token_id: str
    token: str
    scope: str
    def __init__(self, timed_out: _Optional[bool] = ..., token_id: _Optional[str] = ..., token: _Optional[str] = ..., scope: _Optional[str] = ...) -> None: ...

class EnvironmentCreateRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class EnvironmentCreateResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EnvironmentListRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EnvironmentInfo(_message.Message):
    __slots__ = ("name", "created_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    created_at: float
    def __init__(self, name: _Optional[str] = ..., created_at: _Optional[float] = ...) -> None: ...

class EnvironmentListResponse(_message.Message):
    __slots__ = ("environments",)
    ENVIRONMENTS_FIELD_NUMBER: _ClassVar[int]
    environments: _containers.RepeatedCompositeFieldContainer[EnvironmentInfo]
    def __init__(self, environments: _Optional[_Iterable[_Union[EnvironmentInfo, _Mapping]]] = ...) -> None: ...

class InputSummary(_message.Message):
    __slots__ = ("input_id", "call_id", "idx", "status", "queued_at", "started_at", "finished_at", "attempt", "message", "container_id", "traceback", "earlier")
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    IDX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    EARLIER_FIELD_NUMBER: _ClassVar[int]
    input_id: str
    call_id: str
    idx: int
    status: str
    queued_at: float
    started_at: float
    finished_at: float
    attempt: int
    message: str
    container_id: str
    traceback: str
    earlier: _containers.RepeatedCompositeFieldContainer[InputSummary]
    def __init__(self, input_id: _Optional[str] = ..., call_id: _Optional[str] = ..., idx: _Optional[int] = ..., status: _Optional[str] = ..., queued_at: _Optional[float] = ..., started_at: _Optional[float] = ..., finished_at: _Optional[float] = ..., attempt: _Optional[int] = ..., message: _Optional[str] = ..., container_id: _Optional[str] = ..., traceback: _Optional[str] = ..., earlier: _Optional[_Iterable[_Union[InputSummary, _Mapping]]] = ...) -> None: ...

class FunctionCallsRequest(_message.Message):
    __slots__ = ("app_name_or_id", "function_name", "failed", "limit")
    APP_NAME_OR_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    app_name_or_id: str
    function_name: str
    failed: bool
    limit: int
    def __init__(self, app_name_or_id: _Optional[str] = ..., function_name: _Optional[str] = ..., failed: _Optional[bool] = ..., limit: _Optional[int] = ...) -> None: ...

class FunctionCallsResponse(_message.Message):
    __slots__ = ("function_id", "app_id", "inputs")
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    function_id: str
    app_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[InputSummary]
    def __init__(self, function_id: _Optional[str] = ..., app_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[InputSummary, _Mapping]]] = ...) -> None: ...

class CallShowRequest(_message.Message):
    __slots__ = ("call_id", "limit")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    limit: int
    def __init__(self, call_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class CallShowResponse(_message.Message):
    __slots__ = ("call_id", "kind", "function_id", "function_name", "app_id", "app_name", "created_at", "inputs_total", "by_status", "parent_input_id", "inputs")
    class ByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    INPUTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    PARENT_INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    kind: str
    function_id: str
    function_name: str
    app_id: str
    app_name: str
    created_at: float
    inputs_total: int
    by_status: _containers.ScalarMap[str, int]
    parent_input_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[InputSummary]
    def __init__(self, call_id: _Optional[str] = ..., kind: _Optional[str] = ..., function_id: _Optional[str] = ..., function_name: _Optional[str] = ..., app_id: _Optional[str] = ..., app_name: _Optional[str] = ..., created_at: _Optional[float] = ..., inputs_total: _Optional[int] = ..., by_status: _Optional[_Mapping[str, int]] = ..., parent_input_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[InputSummary, _Mapping]]] = ...) -> None: ...

class InputReplayRequest(_message.Message):
    __slots__ = ("input_id",)
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    input_id: str
    def __init__(self, input_id: _Optional[str] = ...) -> None: ...

class InputReplayResponse(_message.Message):
    __slots__ = ("input_id", "app_id", "app_name", "definition", "args", "args_blob_id")
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ARGS_BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    input_id: str
    app_id: str
    app_name: str
    definition: FunctionDefinition
    args: bytes
    args_blob_id: str
    def __init__(self, input_id: _Optional[str] = ..., app_id: _Optional[str] = ..., app_name: _Optional[str] = ..., definition: _Optional[_Union[FunctionDefinition, _Mapping]] = ..., args: _Optional[bytes] = ..., args_blob_id: _Optional[str] = ...) -> None: ...

class AppDescribeRequest(_message.Message):
    __slots__ = ("app_name_or_id",)
    APP_NAME_OR_ID_FIELD_NUMBER: _ClassVar[int]
    app_name_or_id: str
    def __init__(self, app_name_or_id: _Optional[str] = ...) -> None: ...

class FunctionSummary(_message.Message):
    __slots__ = ("name", "stats")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    name: str
    stats: FunctionStatsResponse
    def __init__(self, name: _Optional[str] = ..., stats: _Optional[_Union[FunctionStatsResponse, _Mapping]] = ...) -> None: ...

class AppDescribeResponse(_message.Message):
    __slots__ = ("app", "functions")
    APP_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    app: AppInfo
    functions: _containers.RepeatedCompositeFieldContainer[FunctionSummary]
    def __init__(self, app: _Optional[_Union[AppInfo, _Mapping]] = ..., functions: _Optional[_Iterable[_Union[FunctionSummary, _Mapping]]] = ...) -> None: ...

class LogLine(_message.Message):
    __slots__ = ("ts", "source", "text", "app_id", "function_name", "container_id", "input_id", "seq", "verbose")
    TS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    VERBOSE_FIELD_NUMBER: _ClassVar[int]
    ts: float
    source: LogSource
    text: str
    app_id: str
    function_name: str
    container_id: str
    input_id: str
    seq: int
    verbose: bool
    def __init__(self, ts: _Optional[float] = ..., source: _Optional[_Union[LogSource, str]] = ..., text: _Optional[str] = ..., app_id: _Optional[str] = ..., function_name: _Optional[str] = ..., container_id: _Optional[str] = ..., input_id: _Optional[str] = ..., seq: _Optional[int] = ..., verbose: _Optional[bool] = ...) -> None: ...

class LogsStreamRequest(_message.Message):
    __slots__ = ("app_id", "follow", "after_seq", "history", "function_name", "container_id", "since", "until", "search", "tail")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    follow: bool
    after_seq: int
    history: bool
    function_name: str
    container_id: str
    since: float
    until: float
    search: str
    tail: int
    def __init__(self, app_id: _Optional[str] = ..., follow: _Optional[bool] = ..., after_seq: _Optional[int] = ..., history: _Optional[bool] = ..., function_name: _Optional[str] = ..., container_id: _Optional[str] = ..., since: _Optional[float] = ..., until: _Optional[float] = ..., search: _Optional[str] = ..., tail: _Optional[int] = ...) -> None: ...

class LogsStreamResponse(_message.Message):
    __slots__ = ("lines", "app_done")
    LINES_FIELD_NUMBER: _ClassVar[int]
    APP_DONE_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[LogLine]
    app_done: bool
    def __init__(self, lines: _Optional[_Iterable[_Union[LogLine, _Mapping]]] = ..., app_done: _Optional[bool] = ...) -> None: ...

class AppLookupRequest(_message.Message):
    __slots__ = ("name_or_id",)
    NAME_OR_ID_FIELD_NUMBER: _ClassVar[int]
    name_or_id: str
    def __init__(self, name_or_id: _Optional[str] = ...) -> None: ...

class AppLookupResponse(_message.Message):
    __slots__ = ("app_id", "name", "state")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    name: str
    state: AppState
    def __init__(self, app_id: _Optional[str] = ..., name: _Optional[str] = ..., state: _Optional[_Union[AppState, str]] = ...) -> None: ...

class WorkerInfo(_message.Message):
    __slots__ = ("hostname", "runtime", "cpu", "memory_mb", "max_containers", "gpus", "gpu_type", "labels", "containers", "previous_worker_id", "reattach", "gpu_devices", "gpu_driver", "cuda_version")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    MAX_CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    GPUS_FIELD_NUMBER: _ClassVar[int]
    GPU_TYPE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    REATTACH_FIELD_NUMBER: _ClassVar[int]
    GPU_DEVICES_FIELD_NUMBER: _ClassVar[int]
    GPU_DRIVER_FIELD_NUMBER: _ClassVar[int]
    CUDA_VERSION_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    runtime: str
    cpu: float
    memory_mb: int
    max_containers: int
    gpus: int
    gpu_type: str
    labels: _containers.ScalarMap[str, str]
    containers: _containers.RepeatedCompositeFieldContainer[ReconcileContainer]
    previous_worker_id: str
    reattach: bool
    gpu_devices: _containers.RepeatedCompositeFieldContainer[GpuDevice]
    gpu_driver: str
    cuda_version: str
    def __init__(self, hostname: _Optional[str] = ..., runtime: _Optional[str] = ..., cpu: _Optional[float] = ..., memory_mb: _Optional[int] = ..., max_containers: _Optional[int] = ..., gpus: _Optional[int] = ..., gpu_type: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., containers: _Optional[_Iterable[_Union[ReconcileContainer, _Mapping]]] = ..., previous_worker_id: _Optional[str] = ..., reattach: _Optional[bool] = ..., gpu_devices: _Optional[_Iterable[_Union[GpuDevice, _Mapping]]] = ..., gpu_driver: _Optional[str] = ..., cuda_version: _Optional[str] = ...) -> None: ...

class GpuDevice(_message.Message):
    __slots__ = ("index", "uuid", "model", "memory_mb", "mig")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MB_FIELD_NUMBER: _ClassVar[int]
    MIG_FIELD_NUMBER: _ClassVar[int]
    index: int
    uuid: str
    model: str
    memory_mb: int
    mig: bool
    def __init__(self, index: _Optional[int] = ..., uuid: _Optional[str] = ..., model: _Optional[str] = ..., memory_mb: _Optional[int] = ..., mig: _Optional[bool] = ...) -> None: ...

class ReconcileContainer(_message.Message):
    __slots__ = ("container_id", "function_id", "app_id", "ready", "inputs")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    function_id: str
    app_id: str
    ready: bool
    inputs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, container_id: _Optional[str] = ..., function_id: _Optional[str] = ..., app_id: _Optional[str] = ..., ready: _Optional[bool] = ..., inputs: _Optional[_Iterable[str]] = ...) -> None: ...

class ReconcileResult(_message.Message):
    __slots__ = ("kept", "stopped")
    KEPT_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    kept: _containers.RepeatedScalarFieldContainer[str]
    stopped: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, kept: _Optional[_Iterable[str]] = ..., stopped: _Optional[_Iterable[str]] = ...) -> None: ...

class ContainerAssignment(_message.Message):
    __slots__ = ("container_id", "function_id", "app_id", "definition", "container_token", "sandbox", "app_name")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    function_id: str
    app_id: str
    definition: FunctionDefinition
    container_token: str
    sandbox: SandboxStart
    app_name: str
    def __init__(self, container_id: _Optional[str] = ..., function_id: _Optional[str] = ..., app_id: _Optional[str] = ..., definition: _Optional[_Union[FunctionDefinition, _Mapping]] = ..., container_token: _Optional[str] = ..., sandbox: _Optional[_Union[SandboxStart, _Mapping]] = ..., app_name: _Optional[str] = ...) -> None: ...

class SandboxStart(_message.Message):
    __slots__ = ("sandbox_id", "argv", "workdir", "env", "window", "egress_limited", "egress", "ports", "domains_limited", "domains", "pty", "outbound")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    WORKDIR_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    EGRESS_LIMITED_FIELD_NUMBER: _ClassVar[int]
    EGRESS_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    DOMAINS_LIMITED_FIELD_NUMBER: _ClassVar[int]
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    PTY_FIELD_NUMBER: _ClassVar[int]
    OUTBOUND_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    workdir: str
    env: _containers.ScalarMap[str, str]
    window: int
    egress_limited: bool
    egress: _containers.RepeatedScalarFieldContainer[str]
    ports: _containers.RepeatedScalarFieldContainer[int]
    domains_limited: bool
    domains: _containers.RepeatedScalarFieldContainer[str]
    pty: bool
    outbound: _containers.RepeatedCompositeFieldContainer[OutboundRoute]
    def __init__(self, sandbox_id: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., workdir: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ..., window: _Optional[int] = ..., egress_limited: _Optional[bool] = ..., egress: _Optional[_Iterable[str]] = ..., ports: _Optional[_Iterable[int]] = ..., domains_limited: _Optional[bool] = ..., domains: _Optional[_Iterable[str]] = ..., pty: _Optional[bool] = ..., outbound: _Optional[_Iterable[_Union[OutboundRoute, _Mapping]]] = ...) -> None: ...

class InputBatch(_message.Message):
    __slots__ = ("container_id", "inputs")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    inputs: _containers.RepeatedCompositeFieldContainer[DispatchedInput]
    def __init__(self, container_id: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[DispatchedInput, _Mapping]]] = ...) -> None: ...

class DispatchedInput(_message.Message):
    __slots__ = ("input_id", "attempt", "args", "args_blob_id", "call_id")
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ARGS_BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    input_id: str
    attempt: int
    args: bytes
    args_blob_id: str
    call_id: str
    def __init__(self, input_id: _Optional[str] = ..., attempt: _Optional[int] = ..., args: _Optional[bytes] = ..., args_blob_id: _Optional[str] = ..., call_id: _Optional[str] = ...) -> None: ...

class ContainerStop(_message.Message):
    __slots__ = ("container_id", "reason")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    reason: str
    def __init__(self, container_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ServerToWorker(_message.Message):
    __slots__ = ("worker_id", "start", "inputs", "stop", "heartbeat_s", "exec", "exec_cancel", "logs_stored", "disconnect", "reconciled", "previous_end", "cancel", "chunk_store", "direct_port", "exec_input", "feed", "exec_signal", "snapshot", "mount")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_S_FIELD_NUMBER: _ClassVar[int]
    EXEC_FIELD_NUMBER: _ClassVar[int]
    EXEC_CANCEL_FIELD_NUMBER: _ClassVar[int]
    LOGS_STORED_FIELD_NUMBER: _ClassVar[int]
    DISCONNECT_FIELD_NUMBER: _ClassVar[int]
    RECONCILED_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_END_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    CHUNK_STORE_FIELD_NUMBER: _ClassVar[int]
    DIRECT_PORT_FIELD_NUMBER: _ClassVar[int]
    EXEC_INPUT_FIELD_NUMBER: _ClassVar[int]
    FEED_FIELD_NUMBER: _ClassVar[int]
    EXEC_SIGNAL_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    MOUNT_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    start: ContainerAssignment
    inputs: InputBatch
    stop: ContainerStop
    heartbeat_s: float
    exec: ExecStart
    exec_cancel: str
    logs_stored: int
    disconnect: str
    reconciled: ReconcileResult
    previous_end: str
    cancel: InputsCancel
    chunk_store: ChunkStore
    direct_port: DirectPortGetResponse
    exec_input: ExecInput
    feed: InputFeed
    exec_signal: ExecSignal
    snapshot: ContainerSnapshot
    mount: ContainerMount
    def __init__(self, worker_id: _Optional[str] = ..., start: _Optional[_Union[ContainerAssignment, _Mapping]] = ..., inputs: _Optional[_Union[InputBatch, _Mapping]] = ..., stop: _Optional[_Union[ContainerStop, _Mapping]] = ..., heartbeat_s: _Optional[float] = ..., exec: _Optional[_Union[ExecStart, _Mapping]] = ..., exec_cancel: _Optional[str] = ..., logs_stored: _Optional[int] = ..., disconnect: _Optional[str] = ..., reconciled: _Optional[_Union[ReconcileResult, _Mapping]] = ..., previous_end: _Optional[str] = ..., cancel: _Optional[_Union[InputsCancel, _Mapping]] = ..., chunk_store: _Optional[_Union[ChunkStore, _Mapping]] = ..., direct_port: _Optional[_Union[DirectPortGetResponse, _Mapping]] = ..., exec_input: _Optional[_Union[ExecInput, _Mapping]] = ..., feed: _Optional[_Union[InputFeed, _Mapping]] = ..., exec_signal: _Optional[_Union[ExecSignal, _Mapping]] = ..., snapshot: _Optional[_Union[ContainerSnapshot, _Mapping]] = ..., mount: _Optional[_Union[ContainerMount, _Mapping]] = ...) -> None: ...

class ChunkStore(_message.Message):
    __slots__ = ("directory", "store_id")
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    directory: str
    store_id: str
    def __init__(self, directory: _Optional[str] = ..., store_id: _Optional[str] = ...) -> None: ...

class InputFeed(_message.Message):
    __slots__ = ("container_id", "input_id", "data", "end")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    input_id: str
    data: bytes
    end: bool
    def __init__(self, container_id: _Optional[str] = ..., input_id: _Optional[str] = ..., data: _Optional[bytes] = ..., end: _Optional[bool] = ...) -> None: ...

class InputsCancel(_message.Message):
    __slots__ = ("container_id", "input_ids")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_IDS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    input_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, container_id: _Optional[str] = ..., input_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ExecStart(_message.Message):
    __slots__ = ("exec_id", "container_id", "argv", "interactive", "tty", "env", "rows", "cols", "workdir", "timeout_s", "window", "tool")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    INTERACTIVE_FIELD_NUMBER: _ClassVar[int]
    TTY_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    WORKDIR_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    container_id: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    interactive: bool
    tty: bool
    env: _containers.ScalarMap[str, str]
    rows: int
    cols: int
    workdir: str
    timeout_s: float
    window: int
    tool: bool
    def __init__(self, exec_id: _Optional[str] = ..., container_id: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., interactive: _Optional[bool] = ..., tty: _Optional[bool] = ..., env: _Optional[_Mapping[str, str]] = ..., rows: _Optional[int] = ..., cols: _Optional[int] = ..., workdir: _Optional[str] = ..., timeout_s: _Optional[float] = ..., window: _Optional[int] = ..., tool: _Optional[bool] = ...) -> None: ...

class ExecSignal(_message.Message):
    __slots__ = ("exec_id", "signal")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    signal: int
    def __init__(self, exec_id: _Optional[str] = ..., signal: _Optional[int] = ...) -> None: ...

class ExecInput(_message.Message):
    __slots__ = ("exec_id", "data", "eof", "rows", "cols", "ack")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EOF_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    data: bytes
    eof: bool
    rows: int
    cols: int
    ack: int
    def __init__(self, exec_id: _Optional[str] = ..., data: _Optional[bytes] = ..., eof: _Optional[bool] = ..., rows: _Optional[int] = ..., cols: _Optional[int] = ..., ack: _Optional[int] = ...) -> None: ...

class ExecOutput(_message.Message):
    __slots__ = ("exec_id", "output", "stdin_taken", "timed_out")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    STDIN_TAKEN_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    output: ContainerExecResponse
    stdin_taken: int
    timed_out: bool
    def __init__(self, exec_id: _Optional[str] = ..., output: _Optional[_Union[ContainerExecResponse, _Mapping]] = ..., stdin_taken: _Optional[int] = ..., timed_out: _Optional[bool] = ...) -> None: ...

class WorkerTokenCreateRequest(_message.Message):
    __slots__ = ("name", "proxy", "scope")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROXY_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    proxy: bool
    scope: str
    def __init__(self, name: _Optional[str] = ..., proxy: _Optional[bool] = ..., scope: _Optional[str] = ...) -> None: ...

class WorkerTokenCreateResponse(_message.Message):
    __slots__ = ("token_id", "token")
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token_id: str
    token: str
    def __init__(self, token_id: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class WorkerTokenInfo(_message.Message):
    __slots__ = ("token_id", "name", "created_at", "revoked_at", "connected_worker_id", "scope")
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    token_id: str
    name: str
    created_at: float
    revoked_at: float
    connected_worker_id: str
    scope: str
    def __init__(self, token_id: _Optional[str] = ..., name: _Optional[str] = ..., created_at: _Optional[float] = ..., revoked_at: _Optional[float] = ..., connected_worker_id: _Optional[str] = ..., scope: _Optional[str] = ...) -> None: ...

class WorkerTokenListRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WorkerTokenListResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[WorkerTokenInfo]
    def __init__(self, tokens: _Optional[_Iterable[_Union[WorkerTokenInfo, _Mapping]]] = ...) -> None: ...

class WorkerTokenRevokeRequest(_message.Message):
    __slots__ = ("token_id",)
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    token_id: str
    def __init__(self, token_id: _Optional[str] = ...) -> None: ...

class WorkerTokenRevokeResponse(_message.Message):
    __slots__ = ("disconnected_worker_id",)
    DISCONNECTED_WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    disconnected_worker_id: str
    def __init__(self, disconnected_worker_id: _Optional[str] = ...) -> None: ...

class DashboardLinkRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DashboardLinkResponse(_message.Message):
    __slots__ = ("http_url", "code")
    HTTP_URL_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    http_url: str
    code: str
    def __init__(self, http_url: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class WorkerListRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WorkerListResponse(_message.Message):
    __slots__ = ("workers",)
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    workers: _containers.RepeatedCompositeFieldContainer[WorkerState]
    def __init__(self, workers: _Optional[_Iterable[_Union[WorkerState, _Mapping]]] = ...) -> None: ...

class WorkerState(_message.Message):
    __slots__ = ("worker_id", "info", "token_id", "last_seen_s", "containers", "cpu_reserved", "memory_reserved_mb", "gpus_reserved")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_S_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    CPU_RESERVED_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RESERVED_MB_FIELD_NUMBER: _ClassVar[int]
    GPUS_RESERVED_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    info: WorkerInfo
    token_id: str
    last_seen_s: float
    containers: int
    cpu_reserved: float
    memory_reserved_mb: int
    gpus_reserved: int
    def __init__(self, worker_id: _Optional[str] = ..., info: _Optional[_Union[WorkerInfo, _Mapping]] = ..., token_id: _Optional[str] = ..., last_seen_s: _Optional[float] = ..., containers: _Optional[int] = ..., cpu_reserved: _Optional[float] = ..., memory_reserved_mb: _Optional[int] = ..., gpus_reserved: _Optional[int] = ...) -> None: ...

class ContainerResult(_message.Message):
    __slots__ = ("input_id", "attempt", "output")
    INPUT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    input_id: str
    attempt: int
    output: Output
    def __init__(self, input_id: _Optional[str] = ..., attempt: _Optional[int] = ..., output: _Optional[_Union[Output, _Mapping]] = ...) -> None: ...

class ResultBatch(_message.Message):
    __slots__ = ("container_id", "results", "busy_s")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    BUSY_S_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    results: _containers.RepeatedCompositeFieldContainer[ContainerResult]
    busy_s: float
    def __init__(self, container_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[ContainerResult, _Mapping]]] = ..., busy_s: _Optional[float] = ...) -> None: ...

class ContainerEvent(_message.Message):
    __slots__ = ("container_id", "state", "exit_code", "message", "phases", "oom_killed", "timed_out_input", "running_input", "ports")
    class PhasesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class PortsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    OOM_KILLED_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_INPUT_FIELD_NUMBER: _ClassVar[int]
    RUNNING_INPUT_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    state: ContainerState
    exit_code: int
    message: str
    phases: _containers.ScalarMap[str, float]
    oom_killed: bool
    timed_out_input: str
    running_input: str
    ports: _containers.ScalarMap[int, int]
    def __init__(self, container_id: _Optional[str] = ..., state: _Optional[_Union[ContainerState, str]] = ..., exit_code: _Optional[int] = ..., message: _Optional[str] = ..., phases: _Optional[_Mapping[str, float]] = ..., oom_killed: _Optional[bool] = ..., timed_out_input: _Optional[str] = ..., running_input: _Optional[str] = ..., ports: _Optional[_Mapping[int, int]] = ...) -> None: ...

class LogChunk(_message.Message):
    __slots__ = ("app_id", "function_name", "container_id", "texts", "run_lengths", "run_sources", "run_input_ids", "run_ts")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    RUN_LENGTHS_FIELD_NUMBER: _ClassVar[int]
    RUN_SOURCES_FIELD_NUMBER: _ClassVar[int]
    RUN_INPUT_IDS_FIELD_NUMBER: _ClassVar[int]
    RUN_TS_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    function_name: str
    container_id: str
    texts: _containers.RepeatedScalarFieldContainer[str]
    run_lengths: _containers.RepeatedScalarFieldContainer[int]
    run_sources: _containers.RepeatedScalarFieldContainer[LogSource]
    run_input_ids: _containers.RepeatedScalarFieldContainer[str]
    run_ts: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, app_id: _Optional[str] = ..., function_name: _Optional[str] = ..., container_id: _Optional[str] = ..., texts: _Optional[_Iterable[str]] = ..., run_lengths: _Optional[_Iterable[int]] = ..., run_sources: _Optional[_Iterable[_Union[LogSource, str]]] = ..., run_input_ids: _Optional[_Iterable[str]] = ..., run_ts: _Optional[_Iterable[float]] = ...) -> None: ...

class LogBatch(_message.Message):
    __slots__ = ("chunks",)
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    chunks: _containers.RepeatedCompositeFieldContainer[LogChunk]
    def __init__(self, chunks: _Optional[_Iterable[_Union[LogChunk, _Mapping]]] = ...) -> None: ...

class WorkerToServer(_message.Message):
    __slots__ = ("register", "results", "event", "logs", "heartbeat", "exec_output", "usage", "snapshot_done", "mount_done")
    REGISTER_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    EXEC_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_DONE_FIELD_NUMBER: _ClassVar[int]
    MOUNT_DONE_FIELD_NUMBER: _ClassVar[int]
    register: WorkerInfo
    results: ResultBatch
    event: ContainerEvent
    logs: LogBatch
    heartbeat: bool
    exec_output: ExecOutput
    usage: ContainerUsageBatch
    snapshot_done: SnapshotDone
    mount_done: MountDone
    def __init__(self, register: _Optional[_Union[WorkerInfo, _Mapping]] = ..., results: _Optional[_Union[ResultBatch, _Mapping]] = ..., event: _Optional[_Union[ContainerEvent, _Mapping]] = ..., logs: _Optional[_Union[LogBatch, _Mapping]] = ..., heartbeat: _Optional[bool] = ..., exec_output: _Optional[_Union[ExecOutput, _Mapping]] = ..., usage: _Optional[_Union[ContainerUsageBatch, _Mapping]] = ..., snapshot_done: _Optional[_Union[SnapshotDone, _Mapping]] = ..., mount_done: _Optional[_Union[MountDone, _Mapping]] = ...) -> None: ...

class ContainerSnapshot(_message.Message):
    __slots__ = ("container_id", "snapshot_id", "path")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    snapshot_id: str
    path: str
    def __init__(self, container_id: _Optional[str] = ..., snapshot_id: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class ContainerMount(_message.Message):
    __slots__ = ("container_id", "request_id", "path", "image", "unmount")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    UNMOUNT_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    request_id: str
    path: str
    image: str
    unmount: bool
    def __init__(self, container_id: _Optional[str] = ..., request_id: _Optional[str] = ..., path: _Optional[str] = ..., image: _Optional[str] = ..., unmount: _Optional[bool] = ...) -> None: ...

class MountDone(_message.Message):
    __slots__ = ("request_id", "error")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    error: str
    def __init__(self, request_id: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class SnapshotDone(_message.Message):
    __slots__ = ("snapshot_id", "blob_id", "sha256", "size", "error")
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    snapshot_id: str
    blob_id: str
    sha256: str
    size: int
    error: str
    def __init__(self, snapshot_id: _Optional[str] = ..., blob_id: _Optional[str] = ..., sha256: _Optional[str] = ..., size: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class ContainerUsage(_message.Message):
    __slots__ = ("container_id", "cpu_seconds", "memory_bytes")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    CPU_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    cpu_seconds: float
    memory_bytes: int
    def __init__(self, container_id: _Optional[str] = ..., cpu_seconds: _Optional[float] = ..., memory_bytes: _Optional[int] = ...) -> None: ...

class ContainerUsageBatch(_message.Message):
    __slots__ = ("containers",)
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    containers: _containers.RepeatedCompositeFieldContainer[ContainerUsage]
    def __init__(self, containers: _Optional[_Iterable[_Union[ContainerUsage, _Mapping]]] = ...) -> None: ...

class BlobChunk(_message.Message):
    __slots__ = ("data", "size")
    DATA_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    size: int
    def __init__(self, data: _Optional[bytes] = ..., size: _Optional[int] = ...) -> None: ...

class BlobPutResponse(_message.Message):
    __slots__ = ("blob_id", "size")
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    blob_id: str
    size: int
    def __init__(self, blob_id: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class BlobGetRequest(_message.Message):
    __slots__ = ("blob_id",)
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    blob_id: str
    def __init__(self, blob_id: _Optional[str] = ...) -> None: ...

class NamedObject(_message.Message):
    __slots__ = ("object_id", "kind", "name", "environment_name", "created_at", "attributes_json")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_JSON_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    kind: str
    name: str
    environment_name: str
    created_at: float
    attributes_json: str
    def __init__(self, object_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., environment_name: _Optional[str] = ..., created_at: _Optional[float] = ..., attributes_json: _Optional[str] = ...) -> None: ...

class ObjectGetOrCreateRequest(_message.Message):
    __slots__ = ("kind", "name", "environment_name", "creation", "object_id", "attributes_json")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATION_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_JSON_FIELD_NUMBER: _ClassVar[int]
    kind: str
    name: str
    environment_name: str
    creation: ObjectCreation
    object_id: str
    attributes_json: str
    def __init__(self, kind: _Optional[str] = ..., name: _Optional[str] = ..., environment_name: _Optional[str] = ..., creation: _Optional[_Union[ObjectCreation, str]] = ..., object_id: _Optional[str] = ..., attributes_json: _Optional[str] = ...) -> None: ...

class ObjectGetOrCreateResponse(_message.Message):
    __slots__ = ("object", "created")
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    object: NamedObject
    created: bool
    def __init__(self, object: _Optional[_Union[NamedObject, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ObjectListRequest(_message.Message):
    __slots__ = ("kind", "environment_name", "max_objects", "created_before", "before_object_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    MAX_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    BEFORE_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    kind: str
    environment_name: str
    max_objects: int
    created_before: float
    before_object_id: str
    def __init__(self, kind: _Optional[str] = ..., environment_name: _Optional[str] = ..., max_objects: _Optional[int] = ..., created_before: _Optional[float] = ..., before_object_id: _Optional[str] = ...) -> None: ...

class ObjectListResponse(_message.Message):
    __slots__ = ("objects",)
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedCompositeFieldContainer[NamedObject]
    def __init__(self, objects: _Optional[_Iterable[_Union[NamedObject, _Mapping]]] = ...) -> None: ...

class ObjectDeleteRequest(_message.Message):
    __slots__ = ("object_id", "again")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AGAIN_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    again: bool
    def __init__(self, object_id: _Optional[str] = ..., again: _Optional[bool] = ...) -> None: ...

class ObjectDeleteResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class SecretCreateRequest(_message.Message):
    __slots__ = ("name", "environment_name", "env", "overwrite")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_FIELD_NUMBER: _ClassVar[int]
    name: str
    environment_name: str
    env: _containers.ScalarMap[str, str]
    overwrite: bool
    def __init__(self, name: _Optional[str] = ..., environment_name: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ..., overwrite: _Optional[bool] = ...) -> None: ...

class SecretCreateResponse(_message.Message):
    __slots__ = ("secret_id", "keys")
    SECRET_ID_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    secret_id: str
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, secret_id: _Optional[str] = ..., keys: _Optional[_Iterable[str]] = ...) -> None: ...

class DictEntry(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    value: bytes
    def __init__(self, key: _Optional[bytes] = ..., value: _Optional[bytes] = ...) -> None: ...

class DictUpdateRequest(_message.Message):
    __slots__ = ("dict_id", "entries", "skip_if_exists")
    DICT_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    SKIP_IF_EXISTS_FIELD_NUMBER: _ClassVar[int]
    dict_id: str
    entries: _containers.RepeatedCompositeFieldContainer[DictEntry]
    skip_if_exists: bool
    def __init__(self, dict_id: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[DictEntry, _Mapping]]] = ..., skip_if_exists: _Optional[bool] = ...) -> None: ...

class DictUpdateResponse(_message.Message):
    __slots__ = ("written",)
    WRITTEN_FIELD_NUMBER: _ClassVar[int]
    written: int
    def __init__(self, written: _Optional[int] = ...) -> None: ...

class DictGetRequest(_message.Message):
    __slots__ = ("dict_id", "key", "pop", "exists_only")
    DICT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    POP_FIELD_NUMBER: _ClassVar[int]
    EXISTS_ONLY_FIELD_NUMBER: _ClassVar[int]
    dict_id: str
    key: bytes
    pop: bool
    exists_only: bool
    def __init__(self, dict_id: _Optional[str] = ..., key: _Optional[bytes] = ..., pop: _Optional[bool] = ..., exists_only: _Optional[bool] = ...) -> None: ...

class DictGetResponse(_message.Message):
    __slots__ = ("found", "value")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    found: bool
    value: bytes
    def __init__(self, found: _Optional[bool] = ..., value: _Optional[bytes] = ...) -> None: ...

class DictLenRequest(_message.Message):
    __slots__ = ("dict_id", "clear")
    DICT_ID_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    dict_id: str
    clear: bool
    def __init__(self, dict_id: _Optional[str] = ..., clear: _Optional[bool] = ...) -> None: ...

class DictLenResponse(_message.Message):
    __slots__ = ("len",)
    LEN_FIELD_NUMBER: _ClassVar[int]
    len: int
    def __init__(self, len: _Optional[int] = ...) -> None: ...

class TunnelOpenRequest(_message.Message):
    __slots__ = ("port", "unencrypted", "host_port")
    PORT_FIELD_NUMBER: _ClassVar[int]
    UNENCRYPTED_FIELD_NUMBER: _ClassVar[int]
    HOST_PORT_FIELD_NUMBER: _ClassVar[int]
    port: int
    unencrypted: bool
    host_port: int
    def __init__(self, port: _Optional[int] = ..., unencrypted: _Optional[bool] = ..., host_port: _Optional[int] = ...) -> None: ...

class TunnelOpenResponse(_message.Message):
    __slots__ = ("tunnel_id", "url", "tcp_host", "tcp_port")
    TUNNEL_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    TCP_HOST_FIELD_NUMBER: _ClassVar[int]
    TCP_PORT_FIELD_NUMBER: _ClassVar[int]
    tunnel_id: str
    url: str
    tcp_host: str
    tcp_port: int
    def __init__(self, tunnel_id: _Optional[str] = ..., url: _Optional[str] = ..., tcp_host: _Optional[str] = ..., tcp_port: _Optional[int] = ...) -> None: ...

class TunnelCloseRequest(_message.Message):
    __slots__ = ("tunnel_id",)
    TUNNEL_ID_FIELD_NUMBER: _ClassVar[int]
    tunnel_id: str
    def __init__(self, tunnel_id: _Optional[str] = ...) -> None: ...

class TunnelCloseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DirectPortGetRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DirectPortGetResponse(_message.Message):
    __slots__ = ("port", "local_socket")
    PORT_FIELD_NUMBER: _ClassVar[int]
    LOCAL_SOCKET_FIELD_NUMBER: _ClassVar[int]
    port: int
    local_socket: str
    def __init__(self, port: _Optional[int] = ..., local_socket: _Optional[str] = ...) -> None: ...

class DictContentsRequest(_message.Message):
    __slots__ = ("dict_id", "after_key", "has_after", "limit")
    DICT_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_KEY_FIELD_NUMBER: _ClassVar[int]
    HAS_AFTER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    dict_id: str
    after_key: bytes
    has_after: bool
    limit: int
    def __init__(self, dict_id: _Optional[str] = ..., after_key: _Optional[bytes] = ..., has_after: _Optional[bool] = ..., limit: _Optional[int] = ...) -> None: ...

class DictContentsResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[DictEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[DictEntry, _Mapping]]] = ...) -> None: ...

class QueuePutRequest(_message.Message):
    __slots__ = ("queue_id", "partition", "values", "partition_ttl", "timeout_s")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    PARTITION_TTL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    partition: bytes
    values: _containers.RepeatedScalarFieldContainer[bytes]
    partition_ttl: float
    timeout_s: float
    def __init__(self, queue_id: _Optional[str] = ..., partition: _Optional[bytes] = ..., values: _Optional[_Iterable[bytes]] = ..., partition_ttl: _Optional[float] = ..., timeout_s: _Optional[float] = ...) -> None: ...

class QueuePutResponse(_message.Message):
    __slots__ = ("full",)
    FULL_FIELD_NUMBER: _ClassVar[int]
    full: bool
    def __init__(self, full: _Optional[bool] = ...) -> None: ...

class QueueGetRequest(_message.Message):
    __slots__ = ("queue_id", "partition", "n_values", "timeout_s")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    N_VALUES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    partition: bytes
    n_values: int
    timeout_s: float
    def __init__(self, queue_id: _Optional[str] = ..., partition: _Optional[bytes] = ..., n_values: _Optional[int] = ..., timeout_s: _Optional[float] = ...) -> None: ...

class QueueGetResponse(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, values: _Optional[_Iterable[bytes]] = ...) -> None: ...

class QueueLenRequest(_message.Message):
    __slots__ = ("queue_id", "partition", "total")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    partition: bytes
    total: bool
    def __init__(self, queue_id: _Optional[str] = ..., partition: _Optional[bytes] = ..., total: _Optional[bool] = ...) -> None: ...

class QueueLenResponse(_message.Message):
    __slots__ = ("len", "partitions")
    LEN_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    len: int
    partitions: int
    def __init__(self, len: _Optional[int] = ..., partitions: _Optional[int] = ...) -> None: ...

class QueueClearRequest(_message.Message):
    __slots__ = ("queue_id", "partition", "all")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    partition: bytes
    all: bool
    def __init__(self, queue_id: _Optional[str] = ..., partition: _Optional[bytes] = ..., all: _Optional[bool] = ...) -> None: ...

class QueueClearResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueueItem(_message.Message):
    __slots__ = ("item_id", "value")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    item_id: int
    value: bytes
    def __init__(self, item_id: _Optional[int] = ..., value: _Optional[bytes] = ...) -> None: ...

class QueueNextItemsRequest(_message.Message):
    __slots__ = ("queue_id", "partition", "after_item_id", "timeout_s", "limit")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    AFTER_ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    partition: bytes
    after_item_id: int
    timeout_s: float
    limit: int
    def __init__(self, queue_id: _Optional[str] = ..., partition: _Optional[bytes] = ..., after_item_id: _Optional[int] = ..., timeout_s: _Optional[float] = ..., limit: _Optional[int] = ...) -> None: ...

class QueueNextItemsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[QueueItem]
    def __init__(self, items: _Optional[_Iterable[_Union[QueueItem, _Mapping]]] = ...) -> None: ...

class VolumeFile(_message.Message):
    __slots__ = ("path", "kind", "size", "mode", "mtime", "chunks", "version")
    PATH_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    MTIME_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    path: str
    kind: int
    size: int
    mode: int
    mtime: float
    chunks: _containers.RepeatedScalarFieldContainer[str]
    version: int
    def __init__(self, path: _Optional[str] = ..., kind: _Optional[int] = ..., size: _Optional[int] = ..., mode: _Optional[int] = ..., mtime: _Optional[float] = ..., chunks: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ...) -> None: ...

class VolumeChunksMissingRequest(_message.Message):
    __slots__ = ("hashes",)
    HASHES_FIELD_NUMBER: _ClassVar[int]
    hashes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hashes: _Optional[_Iterable[str]] = ...) -> None: ...

class VolumeChunksMissingResponse(_message.Message):
    __slots__ = ("hashes",)
    HASHES_FIELD_NUMBER: _ClassVar[int]
    hashes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hashes: _Optional[_Iterable[str]] = ...) -> None: ...

class VolumeChunkPutRequest(_message.Message):
    __slots__ = ("hash", "data")
    HASH_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    hash: str
    data: bytes
    def __init__(self, hash: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class VolumeChunkPutResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VolumeChunkGetRequest(_message.Message):
    __slots__ = ("hash",)
    HASH_FIELD_NUMBER: _ClassVar[int]
    hash: str
    def __init__(self, hash: _Optional[str] = ...) -> None: ...

class VolumeChunkGetResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class VolumeDelete(_message.Message):
    __slots__ = ("path", "recursive")
    PATH_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    path: str
    recursive: bool
    def __init__(self, path: _Optional[str] = ..., recursive: _Optional[bool] = ...) -> None: ...

class VolumeCommitRequest(_message.Message):
    __slots__ = ("volume_id", "files", "deletes", "no_overwrite", "missing_ok")
    VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    DELETES_FIELD_NUMBER: _ClassVar[int]
    NO_OVERWRITE_FIELD_NUMBER: _ClassVar[int]
    MISSING_OK_FIELD_NUMBER: _ClassVar[int]
    volume_id: str
    files: _containers.RepeatedCompositeFieldContainer[VolumeFile]
    deletes: _containers.RepeatedCompositeFieldContainer[VolumeDelete]
    no_overwrite: bool
    missing_ok: bool
    def __init__(self, volume_id: _Optional[str] = ..., files: _Optional[_Iterable[_Union[VolumeFile, _Mapping]]] = ..., deletes: _Optional[_Iterable[_Union[VolumeDelete, _Mapping]]] = ..., no_overwrite: _Optional[bool] = ..., missing_ok: _Optional[bool] = ...) -> None: ...

class VolumeCommitResponse(_message.Message):
    __slots__ = ("version", "files", "bytes")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    version: int
    files: int
    bytes: int
    def __init__(self, version: _Optional[int] = ..., files: _Optional[int] = ..., bytes: _Optional[int] = ...) -> None: ...

class VolumeListRequest(_message.Message):
    __slots__ = ("volume_id", "path", "recursive")
    VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    volume_id: str
    path: str
    recursive: bool
    def __init__(self, volume_id: _Optional[str] = ..., path: _Optional[str] = ..., recursive: _Optional[bool] = ...) -> None: ...

class VolumeListResponse(_message.Message):
    __slots__ = ("version", "entries")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    version: int
    entries: _containers.RepeatedCompositeFieldContainer[VolumeFile]
    def __init__(self, version: _Optional[int] = ..., entries: _Optional[_Iterable[_Union[VolumeFile, _Mapping]]] = ...) -> None: ...

class VolumeGetFileRequest(_message.Message):
    __slots__ = ("volume_id", "path")
    VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    volume_id: str
    path: str
    def __init__(self, volume_id: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class VolumeGetFileResponse(_message.Message):
    __slots__ = ("file",)
    FILE_FIELD_NUMBER: _ClassVar[int]
    file: VolumeFile
    def __init__(self, file: _Optional[_Union[VolumeFile, _Mapping]] = ...) -> None: ...

class VolumeChangesRequest(_message.Message):
    __slots__ = ("volume_id", "since_version")
    VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    volume_id: str
    since_version: int
    def __init__(self, volume_id: _Optional[str] = ..., since_version: _Optional[int] = ...) -> None: ...

class VolumeChangesResponse(_message.Message):
    __slots__ = ("version", "entries")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    version: int
    entries: _containers.RepeatedCompositeFieldContainer[VolumeFile]
    def __init__(self, version: _Optional[int] = ..., entries: _Optional[_Iterable[_Union[VolumeFile, _Mapping]]] = ...) -> None: ...

class VolumeCopyRequest(_message.Message):
    __slots__ = ("volume_id", "src_paths", "dst_path", "recursive")
    VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    SRC_PATHS_FIELD_NUMBER: _ClassVar[int]
    DST_PATH_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    volume_id: str
    src_paths: _containers.RepeatedScalarFieldContainer[str]
    dst_path: str
    recursive: bool
    def __init__(self, volume_id: _Optional[str] = ..., src_paths: _Optional[_Iterable[str]] = ..., dst_path: _Optional[str] = ..., recursive: _Optional[bool] = ...) -> None: ...

class SecretRotateKeyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SecretRotateKeyResponse(_message.Message):
    __slots__ = ("secrets", "key_id")
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    secrets: int
    key_id: str
    def __init__(self, secrets: _Optional[int] = ..., key_id: _Optional[str] = ...) -> None: ...

class SandboxCreateRequest(_message.Message):
    __slots__ = ("app_id", "sandbox_id", "definition", "argv", "name", "tags", "timeout_s", "idle_timeout_s", "workdir", "env", "pty", "readiness_probe", "encrypted_ports", "unencrypted_ports", "egress_limited", "outbound_cidr_allowlist", "domains_limited", "outbound_domain_allowlist", "inbound_limited", "inbound_cidr_allowlist", "allow_tls_decryption", "outbound_routes", "environment")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    IDLE_TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    WORKDIR_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    PTY_FIELD_NUMBER: _ClassVar[int]
    READINESS_PROBE_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTED_PORTS_FIELD_NUMBER: _ClassVar[int]
    UNENCRYPTED_PORTS_FIELD_NUMBER: _ClassVar[int]
    EGRESS_LIMITED_FIELD_NUMBER: _ClassVar[int]
    OUTBOUND_CIDR_ALLOWLIST_FIELD_NUMBER: _ClassVar[int]
    DOMAINS_LIMITED_FIELD_NUMBER: _ClassVar[int]
    OUTBOUND_DOMAIN_ALLOWLIST_FIELD_NUMBER: _ClassVar[int]
    INBOUND_LIMITED_FIELD_NUMBER: _ClassVar[int]
    INBOUND_CIDR_ALLOWLIST_FIELD_NUMBER: _ClassVar[int]
    ALLOW_TLS_DECRYPTION_FIELD_NUMBER: _ClassVar[int]
    OUTBOUND_ROUTES_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    sandbox_id: str
    definition: FunctionDefinition
    argv: _containers.RepeatedScalarFieldContainer[str]
    name: str
    tags: _containers.ScalarMap[str, str]
    timeout_s: float
    idle_timeout_s: float
    workdir: str
    env: _containers.ScalarMap[str, str]
    pty: bool
    readiness_probe: ReadinessProbe
    encrypted_ports: _containers.RepeatedScalarFieldContainer[int]
    unencrypted_ports: _containers.RepeatedScalarFieldContainer[int]
    egress_limited: bool
    outbound_cidr_allowlist: _containers.RepeatedScalarFieldContainer[str]
    domains_limited: bool
    outbound_domain_allowlist: _containers.RepeatedScalarFieldContainer[str]
    inbound_limited: bool
    inbound_cidr_allowlist: _containers.RepeatedScalarFieldContainer[str]
    allow_tls_decryption: bool
    outbound_routes: _containers.RepeatedCompositeFieldContainer[OutboundRoute]
    environment: str
    def __init__(self, app_id: _Optional[str] = ..., sandbox_id: _Optional[str] = ..., definition: _Optional[_Union[FunctionDefinition, _Mapping]] = ..., argv: _Optional[_Iterable[str]] = ..., name: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ..., timeout_s: _Optional[float] = ..., idle_timeout_s: _Optional[float] = ..., workdir: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ..., pty: _Optional[bool] = ..., readiness_probe: _Optional[_Union[ReadinessProbe, _Mapping]] = ..., encrypted_ports: _Optional[_Iterable[int]] = ..., unencrypted_ports: _Optional[_Iterable[int]] = ..., egress_limited: _Optional[bool] = ..., outbound_cidr_allowlist: _Optional[_Iterable[str]] = ..., domains_limited: _Optional[bool] = ..., outbound_domain_allowlist: _Optional[_Iterable[str]] = ..., inbound_limited: _Optional[bool] = ..., inbound_cidr_allowlist: _Optional[_Iterable[str]] = ..., allow_tls_decryption: _Optional[bool] = ..., outbound_routes: _Optional[_Iterable[_Union[OutboundRoute, _Mapping]]] = ..., environment: _Optional[str] = ...) -> None: ...

class OutboundRoute(_message.Message):
    __slots__ = ("kind", "domains", "cidrs", "block", "header_replacements", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    CIDRS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    HEADER_REPLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    domains: _containers.RepeatedScalarFieldContainer[str]
    cidrs: _containers.RepeatedScalarFieldContainer[str]
    block: bool
    header_replacements: _containers.RepeatedCompositeFieldContainer[HeaderReplacement]
    headers: _containers.ScalarMap[str, str]
    def __init__(self, kind: _Optional[str] = ..., domains: _Optional[_Iterable[str]] = ..., cidrs: _Optional[_Iterable[str]] = ..., block: _Optional[bool] = ..., header_replacements: _Optional[_Iterable[_Union[HeaderReplacement, _Mapping]]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class HeaderReplacement(_message.Message):
    __slots__ = ("secret_id", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SECRET_ID_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    secret_id: str
    headers: _containers.ScalarMap[str, str]
    def __init__(self, secret_id: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ReadinessProbe(_message.Message):
    __slots__ = ("tcp_port", "argv", "interval_ms")
    TCP_PORT_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    tcp_port: int
    argv: _containers.RepeatedScalarFieldContainer[str]
    interval_ms: int
    def __init__(self, tcp_port: _Optional[int] = ..., argv: _Optional[_Iterable[str]] = ..., interval_ms: _Optional[int] = ...) -> None: ...

class SandboxCreateResponse(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class SandboxInfo(_message.Message):
    __slots__ = ("sandbox_id", "app_id", "name", "tags", "state", "created_at", "container_id", "worker_id", "done", "exit_code", "reason", "detached", "ended_by", "ready")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETACHED_FIELD_NUMBER: _ClassVar[int]
    ENDED_BY_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    app_id: str
    name: str
    tags: _containers.ScalarMap[str, str]
    state: str
    created_at: float
    container_id: str
    worker_id: str
    done: bool
    exit_code: int
    reason: str
    detached: bool
    ended_by: str
    ready: bool
    def __init__(self, sandbox_id: _Optional[str] = ..., app_id: _Optional[str] = ..., name: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ..., state: _Optional[str] = ..., created_at: _Optional[float] = ..., container_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., done: _Optional[bool] = ..., exit_code: _Optional[int] = ..., reason: _Optional[str] = ..., detached: _Optional[bool] = ..., ended_by: _Optional[str] = ..., ready: _Optional[bool] = ...) -> None: ...

class SandboxTunnelsRequest(_message.Message):
    __slots__ = ("sandbox_id", "timeout_s")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    timeout_s: float
    def __init__(self, sandbox_id: _Optional[str] = ..., timeout_s: _Optional[float] = ...) -> None: ...

class SandboxTunnel(_message.Message):
    __slots__ = ("port", "tunnel_id", "url", "tcp_host", "tcp_port")
    PORT_FIELD_NUMBER: _ClassVar[int]
    TUNNEL_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    TCP_HOST_FIELD_NUMBER: _ClassVar[int]
    TCP_PORT_FIELD_NUMBER: _ClassVar[int]
    port: int
    tunnel_id: str
    url: str
    tcp_host: str
    tcp_port: int
    def __init__(self, port: _Optional[int] = ..., tunnel_id: _Optional[str] = ..., url: _Optional[str] = ..., tcp_host: _Optional[str] = ..., tcp_port: _Optional[int] = ...) -> None: ...

class SandboxTunnelsResponse(_message.Message):
    __slots__ = ("tunnels",)
    TUNNELS_FIELD_NUMBER: _ClassVar[int]
    tunnels: _containers.RepeatedCompositeFieldContainer[SandboxTunnel]
    def __init__(self, tunnels: _Optional[_Iterable[_Union[SandboxTunnel, _Mapping]]] = ...) -> None: ...

class SandboxWaitReadyRequest(_message.Message):
    __slots__ = ("sandbox_id", "timeout_s")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    timeout_s: float
    def __init__(self, sandbox_id: _Optional[str] = ..., timeout_s: _Optional[float] = ...) -> None: ...

class SandboxGetRequest(_message.Message):
    __slots__ = ("sandbox_id", "app_name", "name")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    app_name: str
    name: str
    def __init__(self, sandbox_id: _Optional[str] = ..., app_name: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class SandboxListRequest(_message.Message):
    __slots__ = ("app_id", "tags", "include_done", "environment")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DONE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    tags: _containers.ScalarMap[str, str]
    include_done: bool
    environment: str
    def __init__(self, app_id: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ..., include_done: _Optional[bool] = ..., environment: _Optional[str] = ...) -> None: ...

class SandboxListResponse(_message.Message):
    __slots__ = ("sandboxes",)
    SANDBOXES_FIELD_NUMBER: _ClassVar[int]
    sandboxes: _containers.RepeatedCompositeFieldContainer[SandboxInfo]
    def __init__(self, sandboxes: _Optional[_Iterable[_Union[SandboxInfo, _Mapping]]] = ...) -> None: ...

class SandboxTerminateRequest(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class SandboxTerminateResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SandboxTagsSetRequest(_message.Message):
    __slots__ = ("sandbox_id", "tags")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    tags: _containers.ScalarMap[str, str]
    def __init__(self, sandbox_id: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SandboxTagsSetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SandboxDetachRequest(_message.Message):
    __slots__ = ("sandbox_id",)
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    def __init__(self, sandbox_id: _Optional[str] = ...) -> None: ...

class SandboxDetachResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SandboxExecRequest(_message.Message):
    __slots__ = ("sandbox_id", "exec_id", "argv", "workdir", "env", "secret_ids", "timeout_s", "pty", "tool", "rows", "cols")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    ARGV_FIELD_NUMBER: _ClassVar[int]
    WORKDIR_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    SECRET_IDS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    PTY_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    exec_id: str
    argv: _containers.RepeatedScalarFieldContainer[str]
    workdir: str
    env: _containers.ScalarMap[str, str]
    secret_ids: _containers.RepeatedScalarFieldContainer[str]
    timeout_s: float
    pty: bool
    tool: bool
    rows: int
    cols: int
    def __init__(self, sandbox_id: _Optional[str] = ..., exec_id: _Optional[str] = ..., argv: _Optional[_Iterable[str]] = ..., workdir: _Optional[str] = ..., env: _Optional[_Mapping[str, str]] = ..., secret_ids: _Optional[_Iterable[str]] = ..., timeout_s: _Optional[float] = ..., pty: _Optional[bool] = ..., tool: _Optional[bool] = ..., rows: _Optional[int] = ..., cols: _Optional[int] = ...) -> None: ...

class SandboxExecResponse(_message.Message):
    __slots__ = ("exec_id",)
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    def __init__(self, exec_id: _Optional[str] = ...) -> None: ...

class ProcessReadRequest(_message.Message):
    __slots__ = ("process_id", "stream", "offset")
    PROCESS_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    process_id: str
    stream: int
    offset: int
    def __init__(self, process_id: _Optional[str] = ..., stream: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ProcessReadResponse(_message.Message):
    __slots__ = ("data", "offset", "eof")
    DATA_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    EOF_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    offset: int
    eof: bool
    def __init__(self, data: _Optional[bytes] = ..., offset: _Optional[int] = ..., eof: _Optional[bool] = ...) -> None: ...

class ProcessWriteRequest(_message.Message):
    __slots__ = ("process_id", "data", "offset", "eof")
    PROCESS_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    EOF_FIELD_NUMBER: _ClassVar[int]
    process_id: str
    data: bytes
    offset: int
    eof: bool
    def __init__(self, process_id: _Optional[str] = ..., data: _Optional[bytes] = ..., offset: _Optional[int] = ..., eof: _Optional[bool] = ...) -> None: ...

class ProcessWriteResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ProcessWaitRequest(_message.Message):
    __slots__ = ("process_id", "timeout_s")
    PROCESS_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    process_id: str
    timeout_s: float
    def __init__(self, process_id: _Optional[str] = ..., timeout_s: _Optional[float] = ...) -> None: ...

class ProcessWaitResponse(_message.Message):
    __slots__ = ("done", "exit_code", "reason", "ended_by")
    DONE_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ENDED_BY_FIELD_NUMBER: _ClassVar[int]
    done: bool
    exit_code: int
    reason: str
    ended_by: str
    def __init__(self, done: _Optional[bool] = ..., exit_code: _Optional[int] = ..., reason: _Optional[str] = ..., ended_by: _Optional[str] = ...) -> None: ...

class ProcessKillRequest(_message.Message):
    __slots__ = ("process_id", "signal")
    PROCESS_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    process_id: str
    signal: int
    def __init__(self, process_id: _Optional[str] = ..., signal: _Optional[int] = ...) -> None: ...

class ProcessKillResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SandboxSnapshotRequest(_message.Message):
    __slots__ = ("sandbox_id", "timeout_s", "path")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    timeout_s: float
    path: str
    def __init__(self, sandbox_id: _Optional[str] = ..., timeout_s: _Optional[float] = ..., path: _Optional[str] = ...) -> None: ...

class SandboxMountRequest(_message.Message):
    __slots__ = ("sandbox_id", "path", "image", "unmount")
    SANDBOX_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    UNMOUNT_FIELD_NUMBER: _ClassVar[int]
    sandbox_id: str
    path: str
    image: str
    unmount: bool
    def __init__(self, sandbox_id: _Optional[str] = ..., path: _Optional[str] = ..., image: _Optional[str] = ..., unmount: _Optional[bool] = ...) -> None: ...

class SandboxMountResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SandboxSnapshotResponse(_message.Message):
    __slots__ = ("image",)
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: str
    def __init__(self, image: _Optional[str] = ...) -> None: ...
