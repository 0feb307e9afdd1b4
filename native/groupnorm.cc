// GroupNorm (+ fused ReLU) on NHWC float arrays: the C++ twin of src/ml/kernels/groupNorm.ts (same formulas, same
// float64 sums), parallel over the samples with ATen's thread pool.
//
// x [B, P, C] (P pixels), G groups of C/G channels, n = P·C/G values per (sample, group); Wu & He 2018:
//   μ = Σx/n,  σ² = Σx²/n − μ²,  r = 1/√(σ² + ε),  z = γ_c (x − μ) r + β_c,  y = relu ? max(z, 0) : z
// Backward with d = dy·[z > 0] (or dy), g = d·γ_c:
//   dx = r (g − mean(g) − x̂ mean(g x̂)),  dγ_c = Σ_{b,p} d x̂,  dβ_c = Σ_{b,p} d
#include "tensors.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace nephron {

namespace {

struct Layout {
  int64_t batch, pixels, channels, groups, perGroup;
};

Layout layout(const Napi::Value& shape, const Napi::Value& groups) {
  const std::vector<int64_t> s = ints(shape);
  if (s.size() != 3) throw std::invalid_argument("GroupNorm: expected [batch, pixels, channels]");
  const int64_t g = groups.As<Napi::Number>().Int64Value();
  if (g < 1 || s[2] % g != 0) throw std::invalid_argument("GroupNorm: channels not divisible into groups");
  return {s[0], s[1], s[2], g, s[2] / g};
}

// Samples per task: at least ~64K values each, so that small layers run on one thread (an OpenMP fork per tiny layer
// costs more than it saves, and far more when the cores are shared).
int64_t grain(const Layout& l) { return std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, l.pixels * l.channels)); }

void stats(const float* x, const Layout& l, double eps, double* mean, double* inv) {
  at::parallel_for(0, l.batch, grain(l), [&](int64_t b0, int64_t b1) {
    std::vector<double> sum(l.channels), sq(l.channels);
    for (int64_t b = b0; b < b1; b++) {
      std::fill(sum.begin(), sum.end(), 0.0);
      std::fill(sq.begin(), sq.end(), 0.0);
      const float* xb = x + b * l.pixels * l.channels;
      for (int64_t p = 0; p < l.pixels; p++) {
        const float* row = xb + p * l.channels;
        for (int64_t k = 0; k < l.channels; k++) {
          const double v = row[k];
          sum[k] += v;
          sq[k] += v * v;
        }
      }
      const double n = static_cast<double>(l.pixels * l.perGroup);
      for (int64_t g = 0; g < l.groups; g++) {
        double s1 = 0, s2 = 0;
        for (int64_t k = g * l.perGroup; k < (g + 1) * l.perGroup; k++) {
          s1 += sum[k];
          s2 += sq[k];
        }
        const double mu = s1 / n;
        mean[b * l.groups + g] = mu;
        inv[b * l.groups + g] = 1.0 / std::sqrt(std::max(s2 / n - mu * mu, 0.0) + eps);
      }
    }
  });
}

// Per channel of sample b: z = x·a + s with a = r γ_c, s = β_c − μ a.
void affine(const Layout& l, int64_t b, const double* mean, const double* inv, const float* gamma, const float* beta, float* a, float* s) {
  for (int64_t k = 0; k < l.channels; k++) {
    const int64_t bg = b * l.groups + k / l.perGroup;
    const double ak = inv[bg] * gamma[k];
    a[k] = static_cast<float>(ak);
    s[k] = static_cast<float>(beta[k] - mean[bg] * ak);
  }
}

// Σ d and Σ d·x per channel of sample b, d = dy masked by the ReLU. RELU is a template argument so that the loops
// stay branch-free and vectorise.
template <bool RELU>
void sums(const Layout& l, int64_t b, const float* __restrict__ x, const float* __restrict__ dy, const float* __restrict__ a,
          const float* __restrict__ s, double* __restrict__ sd, double* __restrict__ sdx) {
  std::fill(sd, sd + l.channels, 0.0);
  std::fill(sdx, sdx + l.channels, 0.0);
  const int64_t start = b * l.pixels * l.channels;
  for (int64_t p = 0; p < l.pixels; p++) {
    const float* __restrict__ xr = x + start + p * l.channels;
    const float* __restrict__ dr = dy + start + p * l.channels;
    for (int64_t k = 0; k < l.channels; k++) {
      const float v = xr[k];
      // The mask as a multiplication: gcc does not if-convert a select here, and a mispredicted branch per element
      // cost 30× the whole pass.
      const float d = RELU ? dr[k] * static_cast<float>(v * a[k] + s[k] > 0.0f) : dr[k];
      sd[k] += d;
      sdx[k] += static_cast<double>(d) * v;
    }
  }
}

// dx = A_k d + B_k x + C_k over sample b.
template <bool RELU>
void applyDx(const Layout& l, int64_t b, const float* __restrict__ x, const float* __restrict__ dy, const float* __restrict__ a,
             const float* __restrict__ s, const float* __restrict__ A, const float* __restrict__ B, const float* __restrict__ Cc,
             float* __restrict__ dx) {
  const int64_t C = l.channels;
  const int64_t start = b * l.pixels * C;
  for (int64_t p = 0; p < l.pixels; p++) {
    const float* __restrict__ xr = x + start + p * C;
    const float* __restrict__ dr = dy + start + p * C;
    float* __restrict__ out = dx + start + p * C;
    for (int64_t k = 0; k < C; k++) {
      const float v = xr[k];
      // The mask as a multiplication: gcc does not if-convert a select here, and a mispredicted branch per element
      // cost 30× the whole pass.
      const float d = RELU ? dr[k] * static_cast<float>(v * a[k] + s[k] > 0.0f) : dr[k];
      out[k] = A[k] * d + B[k] * v + Cc[k];
    }
  }
}

// groupNormStats(x, [B,P,C], groups, epsilon, mean, inv)
Napi::Value Stats(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Layout l = layout(info[1], info[2]);
    stats(floats(info[0], l.batch * l.pixels * l.channels), l, info[3].As<Napi::Number>().DoubleValue(),
          doubles(info[4], l.batch * l.groups), doubles(info[5], l.batch * l.groups));
  });
}

// groupNormForward(x, [B,P,C], groups, relu, gamma, beta, mean, inv, y): mean and inv from groupNormStats.
Napi::Value Forward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Layout l = layout(info[1], info[2]);
    const bool relu = info[3].As<Napi::Boolean>().Value();
    const int64_t total = l.batch * l.pixels * l.channels;
    const float* x = floats(info[0], total);
    const float* gamma = floats(info[4], l.channels);
    const float* beta = floats(info[5], l.channels);
    const double* mean = doubles(info[6], l.batch * l.groups);
    const double* inv = doubles(info[7], l.batch * l.groups);
    float* y = floats(info[8], total);
    at::parallel_for(0, l.batch, grain(l), [&](int64_t b0, int64_t b1) {
      std::vector<float> a(l.channels), s(l.channels);
      for (int64_t b = b0; b < b1; b++) {
        affine(l, b, mean, inv, gamma, beta, a.data(), s.data());
        const int64_t start = b * l.pixels * l.channels;
        for (int64_t p = 0; p < l.pixels; p++) {
          const float* xr = x + start + p * l.channels;
          float* yr = y + start + p * l.channels;
          for (int64_t k = 0; k < l.channels; k++) {
            const float z = xr[k] * a[k] + s[k];
            yr[k] = relu ? std::max(z, 0.0f) : z;
          }
        }
      }
    });
  });
}

// groupNormGrad(dy, x, [B,P,C], groups, relu, gamma, beta, mean, inv, dx | null, dgamma, dbeta): dγ and dβ always
// (they fall out of the same sums), dx when an array is given.
Napi::Value Grad(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Layout l = layout(info[2], info[3]);
    const bool relu = info[4].As<Napi::Boolean>().Value();
    const int64_t total = l.batch * l.pixels * l.channels;
    const float* dy = floats(info[0], total);
    const float* x = floats(info[1], total);
    const float* gamma = floats(info[5], l.channels);
    const float* beta = floats(info[6], l.channels);
    const double* mean = doubles(info[7], l.batch * l.groups);
    const double* inv = doubles(info[8], l.batch * l.groups);
    float* dx = info[9].IsNull() ? nullptr : floats(info[9], total);
    float* dgamma = floats(info[10], l.channels);
    float* dbeta = floats(info[11], l.channels);
    const int64_t C = l.channels;
    const double n = static_cast<double>(l.pixels * l.perGroup);
    // Per-sample partial dγ, dβ, summed after the parallel loop (a fixed order: deterministic).
    std::vector<double> pg(l.batch * C), pb(l.batch * C);
    at::parallel_for(0, l.batch, grain(l), [&](int64_t b0, int64_t b1) {
      std::vector<float> a(C), s(C), A(C), B(C), Cc(C);
      std::vector<double> sd(C), sdx(C);
      for (int64_t b = b0; b < b1; b++) {
        affine(l, b, mean, inv, gamma, beta, a.data(), s.data());
        if (relu) {
          sums<true>(l, b, x, dy, a.data(), s.data(), sd.data(), sdx.data());
        } else {
          sums<false>(l, b, x, dy, a.data(), s.data(), sd.data(), sdx.data());
        }
        for (int64_t g = 0; g < l.groups; g++) {
          const double mu = mean[b * l.groups + g], r = inv[b * l.groups + g];
          double t1 = 0, t2 = 0;
          for (int64_t k = g * l.perGroup; k < (g + 1) * l.perGroup; k++) {
            t1 += gamma[k] * sd[k];
            t2 += gamma[k] * sdx[k];
            pb[b * C + k] = sd[k];
            pg[b * C + k] = r * (sdx[k] - mu * sd[k]);
          }
          // dx = r(g − mean(g) − x̂·mean(g x̂)) = A_k d + B_k x + C_k
          const double m1 = t1 / n, m2 = r * (t2 - mu * t1) / n;
          for (int64_t k = g * l.perGroup; k < (g + 1) * l.perGroup; k++) {
            A[k] = static_cast<float>(r * gamma[k]);
            B[k] = static_cast<float>(-r * r * m2);
            Cc[k] = static_cast<float>(-r * m1 + mu * r * r * m2);
          }
        }
        if (!dx) continue;
        if (relu) {
          applyDx<true>(l, b, x, dy, a.data(), s.data(), A.data(), B.data(), Cc.data(), dx);
        } else {
          applyDx<false>(l, b, x, dy, a.data(), s.data(), A.data(), B.data(), Cc.data(), dx);
        }
      }
    });
    for (int64_t k = 0; k < C; k++) {
      double g = 0, bsum = 0;
      for (int64_t b = 0; b < l.batch; b++) {
        g += pg[b * C + k];
        bsum += pb[b * C + k];
      }
      dgamma[k] = static_cast<float>(g);
      dbeta[k] = static_cast<float>(bsum);
    }
  });
}

}  // namespace

void registerGroupNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("groupNormStats", Napi::Function::New(env, Stats));
  exports.Set("groupNormForward", Napi::Function::New(env, Forward));
  exports.Set("groupNormGrad", Napi::Function::New(env, Grad));
}

}  // namespace nephron
