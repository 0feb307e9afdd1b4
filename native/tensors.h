// Argument helpers shared by the addon's functions: typed arrays in, checked lengths, C++ errors as JS errors.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nephron {

using Shape4 = std::array<int64_t, 4>;

inline std::vector<int64_t> ints(const Napi::Value& v) {
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

inline Shape4 shape4(const Napi::Value& v) {
  const std::vector<int64_t> s = ints(v);
  if (s.size() != 4) throw std::invalid_argument("expected a rank-4 shape");
  return {s[0], s[1], s[2], s[3]};
}

inline int64_t count(const Shape4& s) { return s[0] * s[1] * s[2] * s[3]; }

// The data of a Float32Array (no copy), checked to hold `length` values.
inline float* floats(const Napi::Value& v, int64_t length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw std::invalid_argument("expected a Float32Array");
  }
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  if (static_cast<int64_t>(a.ElementLength()) != length) {
    throw std::invalid_argument("Float32Array of " + std::to_string(a.ElementLength()) + " values, expected " + std::to_string(length));
  }
  return a.Data();
}

inline float* floats(const Napi::Value& v, const Shape4& s) { return floats(v, count(s)); }

inline double* doubles(const Napi::Value& v, int64_t length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw std::invalid_argument("expected a Float64Array");
  }
  Napi::Float64Array a = v.As<Napi::Float64Array>();
  if (static_cast<int64_t>(a.ElementLength()) != length) throw std::invalid_argument("Float64Array of the wrong length");
  return a.Data();
}

// [B, H, W, C] (NHWC) as an ATen [B, C, H, W] tensor with channels-last strides: the same memory, no copy.
inline at::Tensor nhwc(float* data, const Shape4& s) {
  return at::from_blob(data, {s[0], s[3], s[1], s[2]}, {s[1] * s[2] * s[3], 1, s[2] * s[3], s[3]}, at::kFloat);
}

// tfjs filter [kh, kw, Ci, Co] as an ATen [Co, Ci, kh, kw] view (strided, no copy).
inline at::Tensor hwio(float* data, const Shape4& s) {
  const int64_t kh = s[0], kw = s[1], ci = s[2], co = s[3];
  return at::from_blob(data, {co, ci, kh, kw}, {1, co, kw * ci * co, ci * co}, at::kFloat);
}

// Run `body`; an exception (a bad argument, an ATen error) becomes a JavaScript Error, never a crash.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F body) {
  try {
    body();
  } catch (const c10::Error& e) {
    Napi::Error::New(info.Env(), std::string("nephron native: ") + e.what_without_backtrace()).ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), std::string("nephron native: ") + e.what()).ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

void registerConv(Napi::Env env, Napi::Object exports);
void registerGroupNorm(Napi::Env env, Napi::Object exports);
void registerPool(Napi::Env env, Napi::Object exports);
void registerElementwise(Napi::Env env, Napi::Object exports);

}  // namespace nephron
