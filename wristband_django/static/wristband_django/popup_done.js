// wristband-django's popup login page (popup_done.html): tells the window that opened the
// popup that the login is done, to this site's origin only, and closes. Without an opener
// (a blocked popup opened as a tab, a link) it goes on to the login's return URL.
(function () {
  "use strict";
  var data = document.getElementById("wristband-popup-done").dataset;
  var message = {type: data.messageType};
  if (data.error) {
    message.error = data.error;
  }
  var opener = window.opener;
  if (opener && data.targetOrigin !== window.location.origin) {
    console.error("wristband-django: Django says this page is on " + data.targetOrigin +
                  ", the browser says " + window.location.origin + ": check SECURE_PROXY_SSL_HEADER" +
                  " and ALLOWED_HOSTS. The opener is not told.");
  } else if (opener && !opener.closed) {
    opener.postMessage(message, data.targetOrigin);
    window.close();
  }
  if (!window.closed) {  // no opener, or a window the browser does not let a script close
    window.location.replace(data.returnUrl);
  }
})();
