// Upload with progress (one request per file), then follow each job until it is done.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const form = document.getElementById("upload-form");
  const input = document.getElementById("upload-files");
  const list = document.getElementById("upload-list");
  const NAMES = { queued: "排队中", running: "处理中", done: "完成", failed: "失败" };
  let pending = 0;

  function settle() {
    pending -= 1;
    if (pending === 0) setTimeout(() => window.location.reload(), 600);
  }

  async function follow(jobId, state, li) {
    for (let i = 0; i < 3600; i++) {
      const response = await fetch("/api/v1/jobs/" + jobId, { credentials: "same-origin" });
      if (response.ok) {
        const job = await response.json();
        state.textContent = NAMES[job.status] || job.status;
        if (job.status === "done" || job.status === "failed") {
          if (job.status === "failed") {
            state.classList.add("failed");
            if (job.error && job.error.message) state.textContent += "：" + job.error.message;
          }
          if (job.document_id) {
            const link = document.createElement("a");
            link.href = "/documents/" + job.document_id;
            link.textContent = "查看";
            li.appendChild(link);
          }
          settle();
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  function uploadOne(file) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = "上传中";
    li.append(name, bar, state);
    list.appendChild(li);
    pending += 1;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/uploads");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100);
    };
    xhr.onload = () => {
      if (xhr.status === 202) {
        const job = JSON.parse(xhr.responseText).jobs[0];
        bar.value = 100;
        li.dataset.job = job.id;
        state.textContent = NAMES[job.status] || job.status;
        follow(job.id, state, li);
        return;
      }
      let message = "上传失败（" + xhr.status + "）";
      try {
        const data = JSON.parse(xhr.responseText);
        if (data.detail && data.detail.message) message = "被拒绝：" + data.detail.message;
      } catch (e) { /* not JSON */ }
      state.textContent = message;
      state.classList.add("failed");
      pending -= 1;
    };
    xhr.onerror = () => {
      state.textContent = "网络错误";
      state.classList.add("failed");
      pending -= 1;
    };
    const data = new FormData();
    data.append("files", file);
    xhr.send(data);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    for (const file of input.files) uploadOne(file);
    input.value = "";
  });

  // Jobs still running when the page was opened: reload once they have all finished.
  const waiting = document.querySelectorAll("#pending-jobs tr[data-job]");
  waiting.forEach((row) => {
    pending += 1;
    const state = row.querySelector(".badge");
    follow(row.dataset.job, state, row.lastElementChild);
  });
})();
