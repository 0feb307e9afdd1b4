// nephron's native training kernels: a Node addon over ATen (libtorch, oneDNN inside). The TypeScript side
// (src/ml/native/) registers these as tfjs kernels of the `native` backend; see there for the design.
#include "tensors.h"

#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.h>
#include <torch/version.h>

#include <dlfcn.h>

namespace nephron {

namespace {

// OpenBLAS (Debian's BLAS behind ATen's matrix products) keeps its own pool, sized to all cores by default.
void setBlasThreads(int n) {
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}

// setThreads(n): intra-op threads of ATen/oneDNN (OpenMP) for the calling thread (each worker_thread sets its own).
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const int n = info[0].As<Napi::Number>().Int32Value();
    if (n < 1) throw std::invalid_argument("threads must be ≥ 1");
    at::set_num_threads(n);
    setBlasThreads(n);
  });
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }

// { aten: "1.13.0", onednn: "2.6.3", mkldnn: true }
Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("aten", TORCH_VERSION);
  const dnnl_version_t* v = dnnl_version();
  o.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("mkldnn", at::hasMKLDNN());
  return o;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("versions", Napi::Function::New(env, Versions));
  registerConv(env, exports);
  registerGroupNorm(env, exports);
  registerPool(env, exports);
  registerElementwise(env, exports);
  return exports;
}

}  // namespace nephron

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return nephron::Init(env, exports); }

NODE_API_MODULE(nephron_native, InitModule)
