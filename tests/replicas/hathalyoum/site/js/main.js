document.addEventListener('DOMContentLoaded',function(){var b=document.querySelector('.breaking');if(b){b.style.display='block';}});
