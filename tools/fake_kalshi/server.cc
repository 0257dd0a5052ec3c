#include "tools/fake_kalshi/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/venue/kalshi/signer.h"
#include "tools/fake_kalshi/stream.h"

namespace apollo::fake_kalshi {

namespace {
constexpr char kPrefix[] = "/trade-api/v2";
}  // namespace

struct FakeKalshiServer::Impl {
  Exchange* exchange;
  ServerOptions options;
  httplib::Server server;
  std::thread thread;
  std::mutex mu;
  int fail_count = 0, fail_status = 500, fail_delay_ms = 0;
  std::atomic<int> refused{0};

  // A fault to answer with, if one is due.
  bool Fault(httplib::Response& res) {
    int status = 0, delay = 0;
    {
      std::lock_guard<std::mutex> l(mu);
      if (fail_count <= 0) return false;
      --fail_count;
      status = fail_status;
      delay = fail_delay_ms;
    }
    if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    res.status = status;
    res.set_content(R"({"code":"injected_fault","message":"fake-kalshi fault"})", "application/json");
    return true;
  }
  bool Signed(const httplib::Request& req) {
    return venue::kalshi::SignedRequest(options.key_id, options.public_pem, req.get_header_value("KALSHI-ACCESS-KEY"),
                                        req.get_header_value("KALSHI-ACCESS-TIMESTAMP"),
                                        req.get_header_value("KALSHI-ACCESS-SIGNATURE"), req.method, req.path);
  }
  static void Send(httplib::Response& res, const Reply& r) {
    res.status = r.status;
    res.set_content(r.body, "application/json");
  }
  // A signed route: signature checked, faults applied, then `answer`.
  template <class Answer>
  httplib::Server::Handler SignedRoute(Answer answer) {
    return [this, answer](const httplib::Request& req, httplib::Response& res) {
      if (Fault(res)) return;
      if (!Signed(req)) {
        ++refused;
        return Send(res, Reply{401, R"({"code":"authentication_error","message":"signature does not verify"})"});
      }
      Send(res, answer(req));
    };
  }
  template <class Answer>
  httplib::Server::Handler PublicRoute(Answer answer) {
    return [this, answer](const httplib::Request& req, httplib::Response& res) {
      if (Fault(res)) return;
      Send(res, answer(req));
    };
  }
};

FakeKalshiServer::FakeKalshiServer(Exchange* exchange, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->exchange = exchange;
  impl_->options = std::move(options);
}

FakeKalshiServer::~FakeKalshiServer() { Stop(); }

std::string FakeKalshiServer::BaseUrl() const { return absl::StrCat("http://127.0.0.1:", port_, kPrefix); }

void FakeKalshiServer::FailNext(int count, int status, int delay_ms) {
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->fail_count = count;
  impl_->fail_status = status;
  impl_->fail_delay_ms = delay_ms;
}

int FakeKalshiServer::refused_signatures() const { return impl_->refused.load(); }

absl::Status FakeKalshiServer::Start() {
  Impl& m = *impl_;
  Exchange* x = m.exchange;
  httplib::Server& s = m.server;
  const std::string p = kPrefix;
  s.Get(p + "/markets", m.PublicRoute([x](const httplib::Request& r) {
    return x->ListMarkets(r.get_param_value("series_ticker"), r.get_param_value("status"));
  }));
  s.Get(p + R"(/markets/([A-Za-z0-9._-]+))", m.PublicRoute([x](const httplib::Request& r) {
    return x->GetMarket(r.matches[1]);
  }));
  s.Get(p + R"(/events/([A-Za-z0-9._-]+))", m.PublicRoute([x](const httplib::Request& r) {
    return x->GetEvent(r.matches[1]);
  }));
  s.Get(p + R"(/markets/([A-Za-z0-9._-]+)/orderbook)", m.PublicRoute([x](const httplib::Request& r) {
    return x->GetOrderbook(r.matches[1]);
  }));
  s.Post(p + "/portfolio/orders", m.SignedRoute([x](const httplib::Request& r) { return x->CreateOrder(r.body); }));
  s.Get(p + "/portfolio/orders", m.SignedRoute([x](const httplib::Request& r) {
    return x->ListOrders(r.get_param_value("ticker"), r.get_param_value("status"));
  }));
  s.Get(p + R"(/portfolio/orders/([A-Za-z0-9._-]+))",
        m.SignedRoute([x](const httplib::Request& r) { return x->GetOrder(r.matches[1]); }));
  s.Delete(p + R"(/portfolio/orders/([A-Za-z0-9._-]+))",
           m.SignedRoute([x](const httplib::Request& r) { return x->CancelOrder(r.matches[1]); }));
  s.Get(p + "/portfolio/fills",
        m.SignedRoute([x](const httplib::Request& r) { return x->ListFills(r.get_param_value("ticker")); }));
  s.Get(p + "/portfolio/positions", m.SignedRoute([x](const httplib::Request&) { return x->Positions(); }));
  s.Get(p + "/portfolio/balance", m.SignedRoute([x](const httplib::Request&) { return x->Balance(); }));
  s.Get(p + "/portfolio/settlements", m.SignedRoute([x](const httplib::Request&) { return x->Settlements(); }));
  s.Get(p + "/account/limits", m.SignedRoute([x](const httplib::Request&) { return x->ApiLimits(); }));
  auto fixed = [](const httplib::Request& r, const char* key) {
    return Fixed::Parse(r.get_param_value(key)).value_or(Fixed());
  };
  s.Post("/_admin/trade", [x, fixed](const httplib::Request& r, httplib::Response& res) {
    Impl::Send(res, x->Trade(r.get_param_value("ticker"), fixed(r, "yes_price"), fixed(r, "count"),
                             r.get_param_value("taker") == "yes"));
  });
  s.Post("/_admin/close", [x](const httplib::Request& r, httplib::Response& res) {
    Impl::Send(res, x->Close(r.get_param_value("ticker")));
  });
  s.Post("/_admin/settle", [x](const httplib::Request& r, httplib::Response& res) {
    Impl::Send(res, x->Settle(r.get_param_value("ticker"), r.get_param_value("result")));
  });
  s.Post("/_admin/book", [x, fixed](const httplib::Request& r, httplib::Response& res) {
    Impl::Send(res, x->ChangeBook(r.get_param_value("ticker"), r.get_param_value("side"), fixed(r, "price"),
                                  fixed(r, "delta")));
  });
  s.Post("/_admin/stream", [&m](const httplib::Request& r, httplib::Response& res) {
    const std::string fault = r.get_param_value("fault");
    if (m.options.stream == nullptr || (fault != "gap" && fault != "drop")) {
      return Impl::Send(res, Reply{400, R"({"code":"invalid_parameters","message":"a stream, and fault gap or drop"})"});
    }
    if (fault == "gap") m.options.stream->SkipSeq();
    if (fault == "drop") m.options.stream->DropAll();
    Impl::Send(res, Reply{200, "{}"});
  });
  if (m.options.stream != nullptr) {
    s.set_post_routing_handler([&m](const httplib::Request&, httplib::Response&) { m.options.stream->Publish(); });
  }
  s.Post("/_admin/fault", [this](const httplib::Request& r, httplib::Response& res) {
    int count = 0, status = 0, delay = 0;
    if (!absl::SimpleAtoi(r.get_param_value("count"), &count) || !absl::SimpleAtoi(r.get_param_value("status"), &status)) {
      return Impl::Send(res, Reply{400, R"({"code":"invalid_parameters","message":"count and status"})"});
    }
    (void)absl::SimpleAtoi(r.get_param_value("delay_ms"), &delay);
    FailNext(count, status, delay);
    Impl::Send(res, Reply{200, "{}"});
  });
  s.Get("/ready", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  port_ = m.options.port == 0 ? s.bind_to_any_port("127.0.0.1") : (s.bind_to_port("127.0.0.1", m.options.port) ? m.options.port : -1);
  if (port_ <= 0) return absl::UnavailableError(absl::StrCat("fake-kalshi: cannot bind 127.0.0.1:", m.options.port));
  m.thread = std::thread([&s] { s.listen_after_bind(); });
  // An answer proves the accept loop runs, so Stop cannot race its start.
  httplib::Client ready("127.0.0.1", port_);
  ready.set_connection_timeout(5);
  ready.set_read_timeout(5);
  auto answered = ready.Get("/ready");
  if (!answered || answered->status != 200) return absl::UnavailableError("fake-kalshi: the server did not start");
  return absl::OkStatus();
}

void FakeKalshiServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace apollo::fake_kalshi
