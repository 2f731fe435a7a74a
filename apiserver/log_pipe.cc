#include "apiserver/log_pipe.h"

namespace mk::apiserver {

void LogPipe::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  started_ = true;
  changed_.notify_all();
}

bool LogPipe::Write(const std::string& chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  started_ = true;
  changed_.notify_all();
  changed_.wait(
      lock, [&] { return closed_ || buffered_ == 0 || buffered_ + chunk.size() <= max_buffered_; });
  if (closed_) return false;
  chunks_.push_back(chunk);
  buffered_ += chunk.size();
  changed_.notify_all();
  return true;
}

void LogPipe::Finish(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
  status_ = std::move(status);
  changed_.notify_all();
}

absl::Status LogPipe::WaitStarted() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return started_ || finished_; });
  return started_ ? absl::OkStatus() : status_;
}

bool LogPipe::Read(std::string* chunk, absl::Status* end) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return !chunks_.empty() || finished_; });
  if (chunks_.empty()) {
    *end = status_;
    return false;
  }
  *chunk = std::move(chunks_.front());
  chunks_.pop_front();
  buffered_ -= chunk->size();
  changed_.notify_all();
  return true;
}

void LogPipe::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  chunks_.clear();
  buffered_ = 0;
  changed_.notify_all();
}

}  // namespace mk::apiserver
