// Poll a job's status and move its progress bar; reload the page once the job has finished.
(function () {
  var box = document.getElementById("job-progress");
  if (!box || box.dataset.finished === "1") { return; }
  var bar = box.querySelector(".progress-bar"), text = document.getElementById("job-text");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      var pct = job.total ? Math.floor(100 * job.done / job.total) : (job.state === "queued" ? 0 : 100);
      bar.style.width = pct + "%";
      bar.setAttribute("aria-valuenow", pct);
      bar.textContent = job.total ? job.done + " / " + job.total : String(job.done);
      text.textContent = job.message && job.message !== job.state_title ? job.state_title + " · " + job.message : job.state_title;
      if (job.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
