// The upload page. It asks the gateway for a signed URL per file and sends the bytes
// straight to storage. The API key lives in one variable of this script: it is never
// written to storage, cookies or a URL. Text from files and servers is only ever set
// as textContent, never parsed as HTML.
"use strict";

(() => {
  const SINGLE_PUT_LIMIT_BYTES = 5 * 1024 ** 3;
  const DEFAULT_MULTIPART_THRESHOLD_BYTES = 64 * 1024 ** 2;
  // The most part URLs the gateway signs per request, and parts sent at once.
  const PARTS_PER_BATCH = 100;
  const PARALLEL_PARTS = 4;
  // Headers a page may not set. The browser sends them itself, and Content-Length is
  // the file's size, which is what the gateway signed.
  const BROWSER_OWNED_HEADERS = new Set(["content-length", "host", "connection"]);
  const STATUS_SUMMARIES = {
    401: "The API key was not accepted.",
    409: "An object with this name already exists.",
    413: "The file is too large for this gateway.",
    415: "This type of file is not accepted here.",
  };

  let apiKey = "";

  class UploadError extends Error {}

  function apiURL(path) {
    return new URL(path, document.baseURI).href;
  }

  function authHeaders() {
    return { Authorization: `Bearer ${apiKey}` };
  }

  function objectPath(objectKey) {
    return objectKey.split("/").map(encodeURIComponent).join("/");
  }

  async function gatewayFetch(path, options) {
    try {
      return await fetch(apiURL(path), options);
    } catch {
      throw new UploadError("Could not reach the gateway. Check the connection.");
    }
  }

  async function gatewayMessage(response) {
    let problem = {};
    try {
      problem = (await response.json()) || {};
    } catch {
      // Not a problem document (a proxy's error page, say): the status must do.
    }
    const summary = STATUS_SUMMARIES[response.status] || "The gateway refused the request.";
    const detail = typeof problem.detail === "string" ? problem.detail : "";
    const code = typeof problem.code === "string" ? ` (${problem.code})` : "";

    return `${summary} ${detail}${code}`.trim();
  }

  function storageMessage(xhr) {
    if (xhr.status === 0) {
      return (
        "Could not reach storage. The bucket's CORS rules may not allow this page's " +
        "origin, or the connection dropped."
      );
    }
    const answer = new DOMParser().parseFromString(xhr.responseText, "application/xml");
    const code = answer.querySelector("Error > Code")?.textContent || `HTTP ${xhr.status}`;
    const message = answer.querySelector("Error > Message")?.textContent || "";
    if (code === "PreconditionFailed") {
      return "Storage refused the upload: an object with this key already exists.";
    }

    return `Storage refused the upload (${code}). ${message}`.trim();
  }

  function postJSON(path, body) {
    return gatewayFetch(path, {
      method: "POST",
      headers: { ...authHeaders(), "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  async function readAnswer(response, status) {
    if (response.status !== status) {
      throw new UploadError(await gatewayMessage(response));
    }

    return response.json();
  }

  function describe(file) {
    return { fileName: file.name, contentType: file.type || "application/octet-stream" };
  }

  async function requestUpload(file) {
    const body = describe(file);
    if (file.size > 0) {
      // Signed into the URL, so storage refuses any other length.
      body.size = file.size;
    }

    return readAnswer(await postJSON("files", body), 201);
  }

  // XMLHttpRequest rather than fetch: only it reports upload progress.
  function putBytes(url, headers, body, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      for (const [name, value] of Object.entries(headers)) {
        if (!BROWSER_OWNED_HEADERS.has(name.toLowerCase())) {
          xhr.setRequestHeader(name, value);
        }
      }
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) {
          onProgress(event.loaded, event.total);
        }
      });
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(xhr.getResponseHeader("ETag"));
        } else {
          reject(new UploadError(storageMessage(xhr)));
        }
      });
      xhr.addEventListener("error", () => reject(new UploadError(storageMessage(xhr))));
      xhr.send(body);
    });
  }

  async function uploadWhole(file, row) {
    if (file.size > SINGLE_PUT_LIMIT_BYTES) {
      throw new UploadError(
        "Files over 5 GiB need a multipart upload, which this gateway does not offer.",
      );
    }
    const issued = await requestUpload(file);
    row.showStatus("Uploading…");
    await putBytes(issued.uploadURL, issued.headers, file, row.showProgress);

    return issued.objectKey;
  }

  // Resolves to the started upload, or to null when the gateway has no multipart
  // routes (it answers 404), in which case one PUT carries the file.
  async function startMultipart(file) {
    const response = await postJSON("uploads", { ...describe(file), size: file.size });
    if (response.status === 404) {
      return null;
    }

    return readAnswer(response, 201);
  }

  async function inParallel(items, limit, work) {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        next += 1;
        await work(items[next - 1]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  }

  function partNumbers(first, last) {
    return Array.from({ length: last - first + 1 }, (_, index) => first + index);
  }

  async function sendParts(file, upload, uploadPath, row) {
    const { objectKey, partSize, partCount } = upload;
    const sent = new Array(partCount).fill(0);
    const completed = [];
    for (let first = 1; first <= partCount; first += PARTS_PER_BATCH) {
      const last = Math.min(first + PARTS_PER_BATCH - 1, partCount);
      const parts = partNumbers(first, last).map((partNumber) => ({ partNumber }));
      const request = { objectKey, size: file.size, partSize, parts };
      const signed = await readAnswer(await postJSON(`${uploadPath}/parts`, request), 200);
      await inParallel(signed.parts, PARALLEL_PARTS, async (part) => {
        const start = (part.partNumber - 1) * partSize;
        const bytes = file.slice(start, Math.min(start + partSize, file.size));
        const etag = await putBytes(part.uploadURL, part.headers, bytes, (loaded) => {
          sent[part.partNumber - 1] = loaded;
          row.showProgress(sent.reduce((sum, size) => sum + size, 0), file.size);
        });
        if (!etag) {
          throw new UploadError(
            "Storage hid the ETag of a part: the bucket's CORS rules must expose ETag.",
          );
        }
        completed.push({ partNumber: part.partNumber, etag });
      });
    }

    return completed.sort((a, b) => a.partNumber - b.partNumber);
  }

  async function uploadInParts(file, row) {
    const upload = await startMultipart(file);
    if (upload === null) {
      return uploadWhole(file, row);
    }
    row.showStatus(`Uploading in ${upload.partCount} parts…`);
    const uploadPath = `uploads/${encodeURIComponent(upload.uploadId)}`;
    try {
      const parts = await sendParts(file, upload, uploadPath, row);
      const request = { objectKey: upload.objectKey, parts };
      const done = await readAnswer(await postJSON(`${uploadPath}/complete`, request), 201);
      return done.objectKey;
    } catch (error) {
      // Best effort: the bucket's lifecycle rule clears what this leaves behind.
      const query = `?objectKey=${encodeURIComponent(upload.objectKey)}`;
      const abort = { method: "DELETE", headers: authHeaders() };
      gatewayFetch(uploadPath + query, abort).catch(() => {});
      throw error;
    }
  }

  function multipartThreshold() {
    const configured = Number(document.body.dataset.multipartThreshold);

    return configured > 0 ? configured : DEFAULT_MULTIPART_THRESHOLD_BYTES;
  }

  function chooseTransfer(file) {
    return file.size > multipartThreshold() ? uploadInParts : uploadWhole;
  }

  // GET /files/{key} with `Accept: application/json` describes the file, download URL
  // included. A gateway without that answer redirects instead: fetch follows (dropping
  // the Authorization header on the way to storage's origin) and reports where it
  // ended, which is the signed URL. Its body is not needed, so it is cancelled.
  async function fetchDownloadURL(objectKey) {
    const controller = new AbortController();
    const response = await gatewayFetch(`files/${objectPath(objectKey)}?attachment=true`, {
      headers: { ...authHeaders(), Accept: "application/json" },
      cache: "no-store",
      signal: controller.signal,
    });
    if (response.redirected) {
      controller.abort();
      if (!response.ok) {
        throw new UploadError(`Storage refused the download (HTTP ${response.status}).`);
      }
      return response.url;
    }

    return (await readAnswer(response, 200)).downloadURL;
  }

  async function upload(file) {
    const row = addRow(file);
    try {
      const transfer = chooseTransfer(file);
      row.showStatus("Asking the gateway for an upload URL…");
      const objectKey = await transfer(file, row);
      row.showProgress(1, 1);
      row.showStatus("Uploaded. Fetching a download link…");
      row.showResult(objectKey, await fetchDownloadURL(objectKey));
    } catch (error) {
      const message = error instanceof UploadError ? error.message : "The upload failed.";
      row.showFailure(message);
    }
  }

  function formatSize(bytes) {
    const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let size = bytes;
    let unit = 0;
    while (size >= 1024 && unit < units.length - 1) {
      size /= 1024;
      unit += 1;
    }

    if (unit > 0) {
      return `${size.toFixed(1)} ${units[unit]}`;
    }

    return bytes === 1 ? "1 byte" : `${bytes} bytes`;
  }

  function addRow(file) {
    const template = document.getElementById("upload-template");
    const item = template.content.firstElementChild.cloneNode(true);
    const part = (selector) => item.querySelector(selector);
    part(".file-name").textContent = file.name;
    part(".file-size").textContent = formatSize(file.size);
    document.getElementById("uploads").append(item);

    return {
      showProgress(loaded, total) {
        const percent = total > 0 ? Math.floor((loaded / total) * 100) : 100;
        part("progress").value = percent;
        part(".percent").textContent = `${percent}%`;
      },
      showStatus(text) {
        part(".status").textContent = text;
      },
      showFailure(text) {
        item.classList.add("failed");
        part(".status").textContent = text;
      },
      showResult(objectKey, downloadURL) {
        item.classList.add("done");
        part(".status").textContent = "Done.";
        part(".object-key").textContent = objectKey;
        part(".download-link").href = downloadURL;
        part(".result").hidden = false;
      },
    };
  }

  function showPageMessage(text) {
    const message = document.getElementById("page-message");
    message.textContent = text;
    message.hidden = !text;
  }

  function start(files) {
    if (!apiKey) {
      showPageMessage("Enter your API key before choosing files.");
      return;
    }
    showPageMessage("");
    for (const file of files) {
      upload(file);
    }
  }

  function listen() {
    const keyInput = document.getElementById("api-key");
    const fileInput = document.getElementById("file-input");
    const dropZone = document.getElementById("drop-zone");

    document.getElementById("upload-form").addEventListener("submit", (event) => {
      event.preventDefault();
    });
    keyInput.addEventListener("input", () => {
      apiKey = keyInput.value.trim();
    });
    fileInput.addEventListener("change", () => {
      start([...fileInput.files]);
      // Lets the same file be chosen again.
      fileInput.value = "";
    });
    dropZone.addEventListener("dragover", (event) => {
      event.preventDefault();
      dropZone.classList.add("dragging");
    });
    dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dragging"));
    dropZone.addEventListener("drop", (event) => {
      event.preventDefault();
      dropZone.classList.remove("dragging");
      start([...event.dataTransfer.files]);
    });
  }

  listen();
})();
